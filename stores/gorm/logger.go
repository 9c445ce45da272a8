package gormstore

import (
	"context"

	"gorm.io/gorm/logger"
)

// quietParams wraps the app's GORM logger so that the store's statements are logged, when the
// app's log level asks for them, without their parameter values, whatever the app's
// ParameterizedQueries setting. GORM consults the ParamsFilter interface before it renders a
// statement for the log.
type quietParams struct{ logger.Interface }

func withoutParams(l logger.Interface) logger.Interface {
	if l == nil {
		l = logger.Discard
	}
	if q, ok := l.(quietParams); ok {
		return q
	}
	return quietParams{l}
}

// LogMode keeps the filter when GORM (db.Debug, for example) changes the level.
func (q quietParams) LogMode(level logger.LogLevel) logger.Interface {
	return quietParams{q.Interface.LogMode(level)}
}

// ParamsFilter drops every parameter: the statement is logged with its placeholders.
func (quietParams) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
