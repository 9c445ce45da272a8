package core

import (
	"encoding/base64"
	"encoding/json"
)

// frontTokenRemove is the front-token value that tells the SDK the session is gone.
const frontTokenRemove = "remove"

// frontToken encodes {"uid","ate","up"} as standard base64 of UTF-8 JSON, exactly as the
// supertokens-website SDK decodes it (atob + decodeURIComponent(escape(…))).
func frontToken(v *verified) string {
	raw, err := json.Marshal(struct {
		UID string         `json:"uid"`
		ATE int64          `json:"ate"`
		UP  map[string]any `json:"up"`
	}{v.userID, v.expiry.UnixMilli(), v.claims})
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// FrontTokenInfo is a decoded front-token.
type FrontTokenInfo struct {
	UID string         `json:"uid"`
	ATE int64          `json:"ate"`
	UP  map[string]any `json:"up"`
}

// DecodeFrontToken parses a front-token header value as the SDK does. Tests and server-side
// renderers use it; the engine never trusts a front-token from a client.
func DecodeFrontToken(s string) (*FrontTokenInfo, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	var ft FrontTokenInfo
	if err := json.Unmarshal(raw, &ft); err != nil {
		return nil, err
	}
	return &ft, nil
}
