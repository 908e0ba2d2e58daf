-- The shop's core schema: accounts, catalog, inventory, carts, mail and audit.
-- Kept in step with migrations/sqlite/0001_schema.sql (same tables, columns, constraints and indexes;
-- tests/schema.rs compares them). Timestamps are timestamptz.

CREATE TABLE roles (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE permissions (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource TEXT NOT NULL,
    action   TEXT NOT NULL CHECK (action IN ('read', 'write')),
    UNIQUE (resource, action)
);

CREATE TABLE role_permissions (
    role_id       BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id BIGINT NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission_idx ON role_permissions (permission_id);

CREATE TABLE users (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    email_verified_at TIMESTAMPTZ,
    password_hash     TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    role_id           BIGINT NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    disabled_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX users_role_idx ON users (role_id);

-- Cookie sessions, in the shape tower-sessions-sqlx-store reads and writes.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    data        BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry_date);

-- Who owns a signed-in session and from where, for the "active sessions" list.
CREATE TABLE user_sessions (
    session_id   TEXT PRIMARY KEY NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   TEXT NOT NULL,
    ip           TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen_at);

-- Email verification, password reset and email change tokens; only a hash of the token is kept.
CREATE TABLE user_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash TEXT NOT NULL UNIQUE,
    new_email  TEXT,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose, created_at);

CREATE TABLE addresses (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('shipping', 'billing')),
    full_name   TEXT NOT NULL,
    line1       TEXT NOT NULL,
    line2       TEXT,
    city        TEXT NOT NULL,
    region      TEXT,
    postal_code TEXT NOT NULL,
    country     TEXT NOT NULL CHECK (length(country) = 2),
    phone       TEXT,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id);
CREATE UNIQUE INDEX addresses_one_default_idx ON addresses (user_id, kind) WHERE is_default;

CREATE TABLE categories (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id   BIGINT REFERENCES categories (id) ON DELETE RESTRICT,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX categories_parent_idx ON categories (parent_id, position);

-- price_minor and currency repeat the cheapest variant's price so listings sort and filter on one
-- table; any write to a product's variants updates them in the same transaction.
CREATE TABLE products (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    category_id  BIGINT NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    featured     BOOLEAN NOT NULL DEFAULT FALSE,
    price_minor  BIGINT NOT NULL CHECK (price_minor >= 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    option1_name TEXT,
    option2_name TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX products_category_idx ON products (category_id, status);
CREATE INDEX products_newest_idx ON products (status, created_at, id);
CREATE INDEX products_price_idx ON products (status, price_minor, id);
-- COLLATE "C" orders names byte by byte, as SQLite does, so both engines list them alike.
CREATE INDEX products_name_idx ON products (status, name COLLATE "C", id);
CREATE INDEX products_featured_idx ON products (created_at, id) WHERE featured;

CREATE TABLE product_variants (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id       BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku              TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    option1          TEXT,
    option2          TEXT,
    price_minor      BIGINT NOT NULL CHECK (price_minor >= 0),
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    compare_at_minor BIGINT CHECK (compare_at_minor IS NULL OR compare_at_minor >= 0),
    position         INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX product_variants_product_idx ON product_variants (product_id, position);

-- Stock per variant. reserved is held by checkouts in flight; the CHECK makes overselling
-- impossible whatever the application does.
CREATE TABLE inventory (
    variant_id          BIGINT PRIMARY KEY REFERENCES product_variants (id) ON DELETE CASCADE,
    on_hand             INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved            INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    low_stock_threshold INTEGER NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT inventory_reserved_within_on_hand CHECK (reserved <= on_hand)
);

-- Every change to on_hand, with its reason: the ledger explains the number.
CREATE TABLE stock_movements (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    variant_id    BIGINT NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    delta         INTEGER NOT NULL CHECK (delta <> 0),
    reason        TEXT NOT NULL CHECK (reason IN ('initial', 'restock', 'adjustment', 'sale', 'return', 'cancellation')),
    order_id      BIGINT,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_variant_idx ON stock_movements (variant_id, created_at);
CREATE INDEX stock_movements_actor_idx ON stock_movements (actor_user_id);

CREATE TABLE product_images (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    variant_id BIGINT REFERENCES product_variants (id) ON DELETE SET NULL,
    position   INTEGER NOT NULL,
    path       TEXT NOT NULL,
    alt        TEXT NOT NULL,
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (product_id, position)
);
CREATE INDEX product_images_variant_idx ON product_images (variant_id);

CREATE TABLE likes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX likes_product_idx ON likes (product_id);

-- A guest cart belongs to a session (its id is kept in the session); a signed-in shopper has one cart.
CREATE TABLE carts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX carts_updated_idx ON carts (updated_at);

CREATE TABLE cart_items (
    cart_id    BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id BIGINT NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, variant_id)
);
CREATE INDEX cart_items_variant_idx ON cart_items (variant_id);

-- Emails are written here in the transaction of the event that causes them, then sent by a worker.
CREATE TABLE email_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address      TEXT NOT NULL,
    template        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);

CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action        TEXT NOT NULL,
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    before_data   TEXT,
    after_data    TEXT,
    ip            TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, created_at);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);
