package core

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// frontTokenRemove is the front-token value that tells the SDK the session is gone.
const frontTokenRemove = "remove"

// frontToken encodes {"uid","ate","up"} as standard base64 of UTF-8 JSON, exactly as the
// supertokens-website SDK decodes it (atob + decodeURIComponent(escape(…))). "up" is the
// access token's payload JSON as signed, so it is copied, never re-encoded.
func frontToken(v *verified) string {
	if v.front != "" {
		return v.front
	}
	up := v.payload
	if up == "" { // not from a token: encode the claims
		b, err := json.Marshal(v.claims())
		if err != nil {
			return ""
		}
		up = string(b)
	}
	var stack [1024]byte
	raw := append(stack[:0], `{"uid":`...)
	raw = appendJSONString(raw, v.userID)
	raw = append(raw, `,"ate":`...)
	raw = strconv.AppendInt(raw, v.expiry.UnixMilli(), 10)
	raw = append(raw, `,"up":`...)
	raw = append(raw, up...)
	raw = append(raw, '}')
	var out [2048]byte
	enc := base64.StdEncoding
	if n := enc.EncodedLen(len(raw)); n <= len(out) {
		enc.Encode(out[:n], raw)
		return string(out[:n])
	}
	return enc.EncodeToString(raw)
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
