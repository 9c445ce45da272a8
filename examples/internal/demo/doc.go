// Package demo holds what the example apps share, so that each example's main.go shows only
// its framework's glue: the settings read from the environment, the demo users, the database
// opening (SQLite, PostgreSQL or MySQL through GORM), the engine and store set-up, the app
// handlers' logic, the embedded demo page, and the start/stop sequence (banner, listen,
// graceful shutdown on SIGINT/SIGTERM, store closed last).
//
// The behaviour every example keeps is the example contract: the same environment
// variables, users, routes and bodies in all four apps.
package demo
