-- One row that the readiness check writes after a write failed, to learn
-- when the database accepts writes again (Store.CheckWrites).
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at BIGINT  NOT NULL -- unix microseconds
);
