-- ratchet GORM store, schema version 3 (SQLite 3.35+): the lineage history that lets a
-- delayed refresh with an older genuine token be judged by its own grace window
-- (docs/ROTATION.md, R8). Apply after 0002. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md. Existing rows start with an empty history. The default is
-- written "" because that is the form GORM writes and reads back; with '' AutoMigrate would
-- see a different default and rebuild the table.

ALTER TABLE sessions ADD COLUMN history text NOT NULL DEFAULT "";
