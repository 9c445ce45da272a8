module github.com/ratchetauth/ratchet/stores/gorm

go 1.24

require (
	github.com/ratchetauth/ratchet v0.1.0
	gorm.io/gorm v1.31.2
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/text v0.20.0 // indirect
)

replace github.com/ratchetauth/ratchet => ../..
