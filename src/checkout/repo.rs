//! Checkout SQL, one text for both engines: promo codes, and placing an order, which reserves its
//! stock in the same transaction as its rows.
//!
//! Stock is reserved by one conditional update per line, `reserved = reserved + n` where
//! `on_hand - reserved >= n`: the database decides each race for the last items, so nothing is
//! ever sold twice, and on PostgreSQL only checkouts of the same variant wait for each other.

use super::PostalAddress;
use super::pricing::{Discount, Pricing};
use crate::accounts::AddressView;
use crate::accounts::emails::Letterhead;
use crate::money::{Currency, Money};
use crate::orders::OrderStatus;
use crate::server::db::{Constraint, Db, Locked, Tx};
use crate::{in_tx, on_db, on_readers};
use chrono::{DateTime, Datelike, Duration, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PromoRow {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub amount: i64,
    pub currency: String,
    pub min_subtotal_minor: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i64>,
    pub times_used: i64,
}

impl PromoRow {
    /// What the code takes off an order of this subtotal, or why it does not apply.
    pub fn discount(&self, subtotal: Money, now: DateTime<Utc>) -> Result<Discount, String> {
        if self.expires_at.is_some_and(|expires| expires <= now) {
            return Err(format!("The code {} has expired.", self.code));
        }
        if self
            .usage_limit
            .is_some_and(|limit| self.times_used >= limit)
        {
            return Err(format!("The code {} has been used up.", self.code));
        }
        if subtotal.minor < self.min_subtotal_minor {
            let minimum = Money::new(self.min_subtotal_minor, subtotal.currency);
            return Err(format!(
                "The code {} needs a subtotal of at least {minimum}.",
                self.code
            ));
        }
        match (self.kind.as_str(), Currency::parse(&self.currency)) {
            ("percent", _) => Ok(Discount::Percent(
                u8::try_from(self.amount.min(100)).unwrap_or(100),
            )),
            ("fixed", Ok(currency)) if currency == subtotal.currency => {
                Ok(Discount::Fixed(self.amount))
            }
            _ => Err(format!(
                "The code {} cannot be used in this shop's currency.",
                self.code
            )),
        }
    }
}

pub async fn find_promo(db: &Db, code: &str) -> Result<Option<PromoRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as(PROMO_BY_CODE).bind(code).fetch_optional(pool).await)
}

const PROMO_BY_CODE: &str =
    "SELECT id, code, kind, amount, currency, min_subtotal_minor, expires_at,
        CAST(usage_limit AS BIGINT) AS usage_limit, CAST(times_used AS BIGINT) AS times_used
     FROM promo_codes WHERE code = $1";

/// A promo code to create: `Percent(n)` or `Fixed(minor units)` in `currency`.
#[derive(Clone, Debug)]
pub struct NewPromo {
    pub code: String,
    pub discount: Discount,
    pub currency: Currency,
    pub min_subtotal_minor: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<u32>,
}

/// Creates a promo code; `None` when the code exists already.
pub async fn insert_promo(db: &Db, promo: &NewPromo) -> Result<Option<i64>, sqlx::Error> {
    let (kind, amount) = match promo.discount {
        Discount::Percent(percent) => ("percent", i64::from(percent)),
        Discount::Fixed(minor) => ("fixed", minor),
    };
    let limit = promo.usage_limit.map(i64::from);
    let inserted = on_db!(db, pool => sqlx::query_scalar(
        "INSERT INTO promo_codes (code, kind, amount, currency, min_subtotal_minor, expires_at, usage_limit, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(&promo.code).bind(kind).bind(amount).bind(promo.currency.code())
    .bind(promo.min_subtotal_minor).bind(promo.expires_at).bind(limit).bind(db.now())
    .fetch_one(pool).await);
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(error) if Constraint::broken_by(&error) == Some(Constraint::Unique) => Ok(None),
        Err(error) => Err(error),
    }
}

/// A cart line as an order would take it, at today's price and stock.
#[derive(Clone, Debug, sqlx::FromRow)]
struct LineRow {
    product_id: i64,
    variant_id: i64,
    product_name: String,
    title: String,
    sku: String,
    variant_count: i64,
    price_minor: i64,
    quantity: i64,
    available: i64,
    active: bool,
}

impl LineRow {
    fn label(&self) -> String {
        if self.variant_count > 1 {
            format!("{} ({})", self.product_name, self.title)
        } else {
            self.product_name.clone()
        }
    }
}

/// `available` counts what the cart's own unpaid order holds, which placing a new order releases.
/// In variant order, so that two checkouts reserving the same variants on PostgreSQL lock them in
/// the same order and never deadlock.
const CART_LINES: &str = concat!("SELECT p.id AS product_id, v.id AS variant_id, p.name AS product_name, v.title, v.sku,
        (SELECT COUNT(*) FROM product_variants sibling WHERE sibling.product_id = p.id) AS variant_count,
        v.price_minor, CAST(ci.quantity AS BIGINT) AS quantity,
        CAST(", crate::cart::repo::available_to_cart!("ci.cart_id"), " AS BIGINT) AS available,
        p.status = 'active' AS active
     FROM cart_items ci
     JOIN product_variants v ON v.id = ci.variant_id
     JOIN products p ON p.id = v.product_id
     JOIN inventory i ON i.variant_id = v.id
     WHERE ci.cart_id = $1
     ORDER BY v.id");

/// Everything an order is placed with, checked by the caller except what only the database knows
/// (prices, stock, the promo code's standing).
#[derive(Clone, Debug)]
pub struct Placement {
    pub cart_id: i64,
    pub user_id: Option<i64>,
    /// The checkout form's one-time key; only its hash is stored.
    pub access_key: String,
    pub email: String,
    pub currency: Currency,
    pub tax_rate_bp: u32,
    pub prices_include_tax: bool,
    pub shipping_code: String,
    pub shipping_name: String,
    pub shipping_minor: i64,
    pub free_over_minor: Option<i64>,
    pub promo: Option<String>,
    /// The total the shopper was shown, if the form said.
    pub seen_total_minor: Option<i64>,
    pub shipping_address: PostalAddress,
    pub billing_address: PostalAddress,
    /// A new delivery address to keep in the signed-in shopper's address book.
    pub save_address: Option<AddressView>,
    pub number_prefix: String,
    pub reserve_for: Duration,
    pub now: DateTime<Utc>,
}

impl Placement {
    fn pricing(&self) -> Pricing {
        Pricing {
            currency: self.currency,
            shipping_minor: self.shipping_minor,
            free_over_minor: self.free_over_minor,
            tax_rate_bp: self.tax_rate_bp,
            prices_include_tax: self.prices_include_tax,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub label: String,
    pub available: i64,
}

/// Why an order was not placed; nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    EmptyCart,
    /// A product in the cart is no longer sold.
    Withdrawn(String),
    /// Lines wanting more than is left.
    Short(Vec<Shortage>),
    Promo(String),
    /// The total is not the one the shopper was shown: prices or stock changed meanwhile.
    TotalChanged(Money),
    /// Less than a card payment can be: Stripe takes nothing under 50 of a currency's minor units.
    BelowMinimum(Money),
}

/// The least a card payment may be, in minor units, as Stripe sets it for most currencies.
pub const MINIMUM_CHARGE_MINOR: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub order_id: i64,
    pub number: String,
    /// The cart's earlier unpaid orders this one replaced (cancelled).
    pub replaced: Vec<i64>,
}

/// Places the cart's order: cancels the cart's earlier unpaid order, if any (the newest checkout
/// wins), reserves every line's stock, takes a use of the promo code, numbers the order and writes
/// it, all or nothing.
#[tracing::instrument(skip_all, fields(cart_id = placement.cart_id))]
pub async fn place_order(
    db: &Db,
    letterhead: &Letterhead<'_>,
    placement: &Placement,
) -> Result<Result<Placed, Refusal>, sqlx::Error> {
    // Most refusals (sold out, above all) are known from a plain read, without queueing for
    // SQLite's one writer or PostgreSQL's row locks behind the checkouts that will succeed.
    let lines: Vec<LineRow> = on_readers!(db, pool => sqlx::query_as(CART_LINES).bind(placement.cart_id).fetch_all(pool).await)?;
    if let Err(refusal) = check_lines(&lines) {
        return Ok(Err(refusal));
    }

    let access_key_hash = crate::accounts::repo::token_hash(&placement.access_key);
    let mut tx = db.begin().await?;
    if !tx.lock_row(Locked::Cart, placement.cart_id).await? {
        return Ok(Err(Refusal::EmptyCart));
    }
    let existing: Option<(i64, String)> = in_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT o.id, o.number FROM order_keys k JOIN orders o ON o.id = k.order_id WHERE k.key_hash = $1"
    ).bind(&access_key_hash).fetch_optional(conn).await)?;
    if let Some((order_id, number)) = existing {
        return Ok(Ok(Placed {
            order_id,
            number,
            replaced: Vec::new(),
        }));
    }
    let earlier: Vec<i64> = in_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM orders WHERE cart_id = $1 AND status = 'pending_payment'"
    ).bind(placement.cart_id).fetch_all(conn).await)?;
    // What the earlier orders hold and what the cart asks for.
    tx.lock_inventory_of(
        "SELECT variant_id FROM order_lines
         WHERE order_id IN (SELECT id FROM orders WHERE cart_id = $1 AND status = 'pending_payment')
           AND variant_id IS NOT NULL
         UNION SELECT variant_id FROM cart_items WHERE cart_id = $1",
        placement.cart_id,
    )
    .await?;
    for &order_id in &earlier {
        crate::orders::repo::cancel_unpaid(
            &mut tx,
            order_id,
            None,
            "Replaced by a newer checkout of the same cart.",
            placement.now,
        )
        .await?;
    }

    let lines: Vec<LineRow> = in_tx!(&mut tx, conn => sqlx::query_as(CART_LINES).bind(placement.cart_id).fetch_all(conn).await)?;
    if let Err(refusal) = check_lines(&lines) {
        return Ok(Err(refusal));
    }
    let subtotal = lines
        .iter()
        .map(|line| line.price_minor.saturating_mul(line.quantity))
        .fold(0_i64, i64::saturating_add);
    let subtotal = Money::new(subtotal, placement.currency);
    let promo = match &placement.promo {
        None => None,
        Some(code) => {
            let row: Option<PromoRow> = in_tx!(&mut tx, conn => sqlx::query_as(PROMO_BY_CODE).bind(code).fetch_optional(conn).await)?;
            let Some(row) = row else {
                return Ok(Err(Refusal::Promo(
                    "That promo code does not exist.".into(),
                )));
            };
            match row.discount(subtotal, placement.now) {
                Ok(discount) => Some((row, discount)),
                Err(problem) => return Ok(Err(Refusal::Promo(problem))),
            }
        }
    };
    let totals = placement.pricing().totals(
        subtotal.minor,
        promo.as_ref().map(|(_, discount)| *discount),
    );
    if placement
        .seen_total_minor
        .is_some_and(|seen| seen != totals.total.minor)
    {
        return Ok(Err(Refusal::TotalChanged(totals.total)));
    }
    if totals.total.minor < MINIMUM_CHARGE_MINOR {
        return Ok(Err(Refusal::BelowMinimum(Money::new(
            MINIMUM_CHARGE_MINOR,
            placement.currency,
        ))));
    }

    let mut short = Vec::new();
    // What each reserved variant has left, which says whether its product may be running short.
    let mut left_after = Vec::with_capacity(lines.len());
    for line in &lines {
        let left: Option<i64> = in_tx!(&mut tx, conn => sqlx::query_scalar(
            "UPDATE inventory SET reserved = reserved + $1 WHERE variant_id = $2 AND on_hand - reserved >= $1
             RETURNING CAST(on_hand - reserved AS BIGINT)"
        ).bind(line.quantity).bind(line.variant_id).fetch_optional(conn).await)?;
        if let Some(left) = left {
            left_after.push((line.product_id, left));
        } else {
            let available: i64 = in_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT CAST(on_hand - reserved AS BIGINT) FROM inventory WHERE variant_id = $1"
            ).bind(line.variant_id).fetch_one(conn).await)?;
            short.push(Shortage {
                label: line.label(),
                available: available.max(0),
            });
        }
    }
    if !short.is_empty() {
        return Ok(Err(Refusal::Short(short)));
    }
    if let Some((row, _)) = &promo {
        let taken = in_tx!(&mut tx, conn => sqlx::query(
            "UPDATE promo_codes SET times_used = times_used + 1
             WHERE id = $1 AND (usage_limit IS NULL OR times_used < usage_limit)"
        ).bind(row.id).execute(conn).await.map(|done| done.rows_affected()))?;
        if taken == 0 {
            return Ok(Err(Refusal::Promo(format!(
                "The code {} has been used up.",
                row.code
            ))));
        }
    }
    tell_who_liked_what_runs_short(
        &mut tx,
        letterhead,
        &lines,
        &left_after,
        placement.user_id,
        placement.now,
    )
    .await?;
    if let Some(address) = &placement.save_address
        && let Some(user_id) = placement.user_id
    {
        crate::accounts::repo::insert_address(&mut tx, user_id, address).await?;
    }

    // Last, so the year's counter row is held only for the few writes before the commit.
    let year = placement.now.year();
    let sequence: i64 = in_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO order_numbers (year, last_value) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last_value = order_numbers.last_value + 1
         RETURNING last_value"
    ).bind(year).fetch_one(conn).await)?;
    let number = format!("{}-{year}-{sequence:06}", placement.number_prefix);
    let to_json = |address: &PostalAddress| serde_json::to_string(address).unwrap_or_default();
    let order_id: i64 = in_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO orders (number, user_id, cart_id, email, status, currency,
             subtotal_minor, discount_minor, shipping_minor, tax_minor, total_minor, prices_include_tax,
             tax_rate_bp, shipping_method, shipping_name, shipping_address, billing_address,
             promo_code_id, promo_code, reserved_until, placed_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
         RETURNING id"
    )
    .bind(&number).bind(placement.user_id).bind(placement.cart_id)
    .bind(&placement.email).bind(OrderStatus::PendingPayment.name()).bind(placement.currency.code())
    .bind(totals.subtotal.minor).bind(totals.discount.minor).bind(totals.shipping.minor)
    .bind(totals.tax.minor).bind(totals.total.minor).bind(placement.prices_include_tax)
    .bind(i64::from(placement.tax_rate_bp)).bind(&placement.shipping_code).bind(&placement.shipping_name)
    .bind(to_json(&placement.shipping_address)).bind(to_json(&placement.billing_address))
    .bind(promo.as_ref().map(|(row, _)| row.id)).bind(promo.as_ref().map(|(row, _)| row.code.clone()))
    .bind(placement.now + placement.reserve_for).bind(placement.now)
    .fetch_one(conn).await)?;
    crate::orders::repo::add_key(
        &mut tx,
        order_id,
        &access_key_hash,
        "checkout",
        placement.now,
    )
    .await?;
    for line in &lines {
        in_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO order_lines (order_id, variant_id, product_name, variant_title, sku,
                 unit_price_minor, quantity, line_total_minor, tax_rate_bp)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(order_id).bind(line.variant_id).bind(&line.product_name)
        .bind((line.variant_count > 1).then_some(&line.title)).bind(&line.sku)
        .bind(line.price_minor).bind(line.quantity).bind(line.price_minor.saturating_mul(line.quantity))
        .bind(i64::from(placement.tax_rate_bp))
        .execute(conn).await.map(drop))?;
    }
    crate::orders::repo::record_status(
        &mut tx,
        order_id,
        None,
        OrderStatus::PendingPayment,
        None,
        "Order placed.",
        placement.now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Placed {
        order_id,
        number,
        replaced: earlier,
    }))
}

fn check_lines(lines: &[LineRow]) -> Result<(), Refusal> {
    if lines.is_empty() {
        return Err(Refusal::EmptyCart);
    }
    if let Some(line) = lines.iter().find(|line| !line.active) {
        return Err(Refusal::Withdrawn(line.label()));
    }
    let short: Vec<Shortage> = lines
        .iter()
        .filter(|line| line.quantity > line.available)
        .map(|line| Shortage {
            label: line.label(),
            available: line.available.max(0),
        })
        .collect();
    if short.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Short(short))
    }
}

/// When a checkout leaves a product with this many or fewer for sale (and some), the shopper who
/// liked it most recently and has not bought it is told, once per product and shopper.
pub const RUNNING_SHORT_AT: i64 = 3;

async fn tell_who_liked_what_runs_short(
    tx: &mut Tx,
    letterhead: &Letterhead<'_>,
    lines: &[LineRow],
    left_after: &[(i64, i64)],
    buyer: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut products: Vec<i64> = lines.iter().map(|line| line.product_id).collect();
    products.sort_unstable();
    products.dedup();
    // A product has at least what any one of its variants has left: with more than the mark
    // there, it is not running short, and the usual checkout asks nothing more.
    products.retain(|product| {
        !left_after
            .iter()
            .any(|(of, left)| of == product && *left > RUNNING_SHORT_AT)
    });
    for product_id in products {
        let ordered: i64 = lines
            .iter()
            .filter(|line| line.product_id == product_id)
            .map(|line| line.quantity)
            .sum();
        let (left, name, slug): (i64, String, String) = in_tx!(tx, conn => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(i.on_hand - i.reserved), 0) AS BIGINT), p.name, p.slug
             FROM products p JOIN product_variants v ON v.product_id = p.id JOIN inventory i ON i.variant_id = v.id
             WHERE p.id = $1 GROUP BY p.name, p.slug"
        ).bind(product_id).fetch_one(conn).await)?;
        // Only as it falls past the mark, and only while there is some to buy.
        if left == 0 || left > RUNNING_SHORT_AT || left + ordered <= RUNNING_SHORT_AT {
            continue;
        }
        let liker: Option<(i64, String)> = in_tx!(tx, conn => sqlx::query_as(
            "SELECT u.id, u.email FROM likes l JOIN users u ON u.id = l.user_id
             WHERE l.product_id = $1 AND u.id <> $2 AND u.disabled_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM low_stock_notices n WHERE n.product_id = $1 AND n.user_id = u.id)
               AND NOT EXISTS (SELECT 1 FROM orders o JOIN order_lines ol ON ol.order_id = o.id
                               JOIN product_variants v ON v.id = ol.variant_id
                               WHERE o.user_id = u.id AND v.product_id = $1
                                 AND o.status NOT IN ('pending_payment', 'cancelled'))
             ORDER BY l.created_at DESC, u.id DESC LIMIT 1"
        ).bind(product_id).bind(buyer.unwrap_or(0)).fetch_optional(conn).await)?;
        let Some((user_id, email)) = liker else {
            continue;
        };
        in_tx!(tx, conn => sqlx::query(
            "INSERT INTO low_stock_notices (product_id, user_id, created_at) VALUES ($1, $2, $3)"
        ).bind(product_id).bind(user_id).bind(now).execute(conn).await.map(drop))?;
        let mail = letterhead.mail(
            &email,
            "low_stock",
            &format!("Only {left} left of {name}"),
            &[&format!("You liked {name}, and only {left} are left now. If you would like one, do not wait too long.")],
            Some(("See it in the shop", &format!("/p/{slug}"))),
        );
        crate::server::mail::enqueue(tx, &mail).await?;
    }
    Ok(())
}
