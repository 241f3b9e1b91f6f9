CREATE TABLE orders (
    id         BIGSERIAL PRIMARY KEY,
    customer   TEXT   NOT NULL,
    currency   TEXT   NOT NULL,
    total      BIGINT NOT NULL,
    status     TEXT   NOT NULL,
    created_at BIGINT NOT NULL, -- unix microseconds, UTC
    updated_at BIGINT NOT NULL
);
CREATE TABLE order_items (
    order_id   BIGINT  NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sku        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    quantity   INTEGER NOT NULL,
    unit_price BIGINT  NOT NULL,
    PRIMARY KEY (order_id, position)
);
CREATE TABLE idempotency_keys (
    key          TEXT   PRIMARY KEY,
    request_hash TEXT   NOT NULL,
    order_id     BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL
);
