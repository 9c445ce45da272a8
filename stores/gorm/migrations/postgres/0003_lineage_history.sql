-- ratchet GORM store, schema version 3 (PostgreSQL): the lineage history that lets a delayed
-- refresh with an older genuine token be judged by its own grace window (docs/ROTATION.md,
-- R8). Apply after 0002. Equivalent to gormstore's AutoMigrate with no TablePrefix; see
-- docs/GORM.md. Existing rows start with an empty history, which is what the engine wrote
-- before version 3 understood.
--
-- Adding a column with a constant default is instant (no table rewrite).

ALTER TABLE sessions ADD COLUMN history varchar(1024) NOT NULL DEFAULT '';
