-- Checkout: promo codes, orders with their lines, status history and links, and the per-year
-- counter that numbers orders. Kept in step with migrations/sqlite.

CREATE TABLE promo_codes (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE CHECK (code = upper(code) AND length(code) BETWEEN 3 AND 32),
    kind               TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    -- Whole percent for 'percent' (1 to 100), minor units of `currency` for 'fixed'.
    amount             BIGINT NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    min_subtotal_minor BIGINT NOT NULL DEFAULT 0 CHECK (min_subtotal_minor >= 0),
    expires_at         TIMESTAMPTZ,
    usage_limit        INTEGER CHECK (usage_limit IS NULL OR usage_limit > 0),
    -- Orders holding a use: placed and not cancelled. Never above usage_limit.
    times_used         INTEGER NOT NULL DEFAULT 0 CHECK (times_used >= 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT promo_codes_used_within_limit CHECK (usage_limit IS NULL OR times_used <= usage_limit),
    CONSTRAINT promo_codes_percent_at_most_100 CHECK (kind <> 'percent' OR amount <= 100)
);

-- The last order number given out in each year; numbers start again at 1 every year.
CREATE TABLE order_numbers (
    year       INTEGER PRIMARY KEY,
    last_value BIGINT NOT NULL CHECK (last_value > 0)
);

CREATE TABLE orders (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    user_id            BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The cart the order was placed from, emptied when the order is paid.
    cart_id            BIGINT REFERENCES carts (id) ON DELETE SET NULL,
    email              TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled', 'shipped', 'delivered', 'cancelled', 'refunded', 'partially_refunded')),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    subtotal_minor     BIGINT NOT NULL CHECK (subtotal_minor >= 0),
    discount_minor     BIGINT NOT NULL CHECK (discount_minor >= 0),
    shipping_minor     BIGINT NOT NULL CHECK (shipping_minor >= 0),
    tax_minor          BIGINT NOT NULL CHECK (tax_minor >= 0),
    total_minor        BIGINT NOT NULL CHECK (total_minor >= 0),
    prices_include_tax BOOLEAN NOT NULL,
    tax_rate_bp        INTEGER NOT NULL CHECK (tax_rate_bp >= 0),
    shipping_method    TEXT NOT NULL,
    shipping_name      TEXT NOT NULL,
    shipping_address   TEXT NOT NULL,
    billing_address    TEXT NOT NULL,
    promo_code_id      BIGINT REFERENCES promo_codes (id) ON DELETE SET NULL,
    promo_code         TEXT,
    -- While pending payment, the stock of its lines is reserved until then.
    reserved_until     TIMESTAMPTZ,
    -- Set when a dispute or anything else needs staff to look at the order.
    needs_attention    BOOLEAN NOT NULL DEFAULT FALSE,
    placed_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_idx ON orders (user_id, placed_at, id);
CREATE INDEX orders_cart_idx ON orders (cart_id, status);
CREATE INDEX orders_reserved_until_idx ON orders (reserved_until) WHERE status = 'pending_payment';

-- What was bought, as it was when ordered: names, SKU, prices and tax rate are copies.
CREATE TABLE order_lines (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id         BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id       BIGINT REFERENCES product_variants (id) ON DELETE SET NULL,
    product_name     TEXT NOT NULL,
    variant_title    TEXT,
    sku              TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    line_total_minor BIGINT NOT NULL CHECK (line_total_minor >= 0),
    tax_rate_bp      INTEGER NOT NULL CHECK (tax_rate_bp >= 0)
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id);
CREATE INDEX order_lines_variant_idx ON order_lines (variant_id);

CREATE TABLE order_status_history (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);
CREATE INDEX order_status_history_actor_idx ON order_status_history (actor_user_id);

-- The secrets in links to an order that work without signing in, as SHA-256 hashes: the checkout
-- form's one-time key (sending the form twice finds its order instead of placing another) and the
-- link in the confirmation email.
CREATE TABLE order_keys (
    key_hash   TEXT PRIMARY KEY NOT NULL,
    order_id   BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('checkout', 'email')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_keys_order_idx ON order_keys (order_id);
