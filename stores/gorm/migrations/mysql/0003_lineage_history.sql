-- ratchet GORM store, schema version 3 (MySQL 8 / MariaDB 10.5+): the lineage history that
-- lets a delayed refresh with an older genuine token be judged by its own grace window
-- (docs/ROTATION.md, R8). Apply after 0002. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md. Existing rows start with an empty history.
--
-- InnoDB adds the column in place (concurrent reads and writes continue).

ALTER TABLE sessions ADD COLUMN history varchar(1024) NOT NULL DEFAULT '';
