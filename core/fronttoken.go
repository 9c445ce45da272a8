package core

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
)

// frontTokenRemove is the front-token value that tells the SDK the session is gone.
const frontTokenRemove = "remove"

// frontToken encodes {"uid","ate","up"} as standard base64 of UTF-8 JSON, exactly as the
// supertokens-website SDK decodes it (atob + decodeURIComponent(escape(…))). "up" is the
// access token's payload JSON as signed, copied, never re-encoded. signAccess builds it with
// the token; this is for a verified record that does not carry it yet.
func frontToken(v *verified) string {
	if v.front != "" {
		return v.front
	}
	up := []byte(v.payload)
	if len(up) == 0 { // not from a token: encode the claims
		var err error
		if up, err = json.Marshal(v.claims()); err != nil {
			return ""
		}
	}
	return base64.StdEncoding.EncodeToString(appendFrontJSON(nil, v.userID, v.expiry, up))
}

// appendFrontJSON appends the front-token's JSON, {"uid":…,"ate":…,"up":…}: the bytes
// encoding/json gives the struct FrontTokenInfo, with up as given.
func appendFrontJSON(dst []byte, uid string, expiry time.Time, up []byte) []byte {
	dst = append(dst, `{"uid":`...)
	dst = appendJSONString(dst, uid)
	dst = append(dst, `,"ate":`...)
	dst = strconv.AppendInt(dst, expiry.UnixMilli(), 10)
	dst = append(dst, `,"up":`...)
	dst = append(dst, up...)
	return append(dst, '}')
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
