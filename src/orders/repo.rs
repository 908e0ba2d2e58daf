//! Orders SQL, one text for both engines: moving an order through its status machine (every move
//! a conditional update on the status it leaves, with a history row), releasing the stock of
//! unpaid orders, and reading an order for its page.

use super::{OrderLineView, OrderStatus, OrderView, PaymentState, StatusChange};
use crate::checkout::{PostalAddress, Totals, percent_label};
use crate::money::{Currency, Money};
use crate::server::db::{Db, Tx};
use crate::{in_tx, on_db, on_readers};
use chrono::{DateTime, Utc};

/// Lets whoever holds the key behind `key_hash` see the order without signing in.
pub async fn add_key(
    tx: &mut Tx,
    order_id: i64,
    key_hash: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO order_keys (key_hash, order_id, purpose, created_at) VALUES ($1, $2, $3, $4)"
    ).bind(key_hash).bind(order_id).bind(purpose).bind(now).execute(conn).await.map(drop))
}

/// Adds a row to the order's status history.
pub async fn record_status(
    tx: &mut Tx,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_user_id: Option<i64>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, actor_user_id, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(order_id).bind(from.map(|status| status.name())).bind(to.name())
    .bind(actor_user_id).bind(note).bind(now)
    .execute(conn).await.map(drop))
}

/// Cancels an order still awaiting payment: its reserved stock is free again and its promo code
/// has the use back. Answers false, changing nothing, when the order is no longer awaiting payment
/// (paid or cancelled meanwhile), so a payment and a cancellation racing each other cannot both
/// win.
pub async fn cancel_unpaid(
    tx: &mut Tx,
    order_id: i64,
    actor_user_id: Option<i64>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let cancelled = in_tx!(tx, conn => sqlx::query(
        "UPDATE orders SET status = 'cancelled', reserved_until = NULL, updated_at = $2
         WHERE id = $1 AND status = 'pending_payment'"
    ).bind(order_id).bind(now).execute(conn).await.map(|done| done.rows_affected()))?;
    if cancelled == 0 {
        return Ok(false);
    }
    let held: Vec<(i64, i64)> = in_tx!(tx, conn => sqlx::query_as(
        "SELECT variant_id, CAST(quantity AS BIGINT) FROM order_lines
         WHERE order_id = $1 AND variant_id IS NOT NULL ORDER BY variant_id"
    ).bind(order_id).fetch_all(conn).await)?;
    for (variant_id, quantity) in held {
        in_tx!(tx, conn => sqlx::query(
            "UPDATE inventory SET reserved = reserved - $1 WHERE variant_id = $2"
        ).bind(quantity).bind(variant_id).execute(conn).await.map(drop))?;
    }
    in_tx!(tx, conn => sqlx::query(
        "UPDATE promo_codes SET times_used = times_used - 1
         WHERE id = (SELECT promo_code_id FROM orders WHERE id = $1) AND times_used > 0"
    ).bind(order_id).execute(conn).await.map(drop))?;
    record_status(
        tx,
        order_id,
        Some(OrderStatus::PendingPayment),
        OrderStatus::Cancelled,
        actor_user_id,
        note,
        now,
    )
    .await?;
    Ok(true)
}

/// Cancels the unpaid orders whose reservation ran out by `now`, a batch at a time, each in its own
/// transaction, except those whose payment the provider is still processing. Answers the orders
/// it cancelled, whose open PaymentIntents the caller cancels at the provider.
#[tracing::instrument(skip(db))]
pub async fn expire_reservations(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>, sqlx::Error> {
    let mut cancelled = Vec::new();
    loop {
        let due: Vec<i64> = on_db!(db, pool => sqlx::query_scalar(
            "SELECT o.id FROM orders o WHERE o.status = 'pending_payment' AND o.reserved_until <= $1
               AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'processing')
             ORDER BY o.reserved_until LIMIT 100"
        ).bind(now).fetch_all(pool).await)?;
        if due.is_empty() {
            return Ok(cancelled);
        }
        for order_id in due {
            let mut tx = db.begin().await?;
            if cancel_unpaid(
                &mut tx,
                order_id,
                None,
                "Not paid in time; the items were released.",
                now,
            )
            .await?
            {
                cancelled.push(order_id);
            }
            tx.commit().await?;
        }
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    number: String,
    user_id: Option<i64>,
    email: String,
    status: String,
    currency: String,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    prices_include_tax: bool,
    tax_rate_bp: i64,
    shipping_name: String,
    shipping_address: String,
    billing_address: String,
    promo_code: Option<String>,
    reserved_until: Option<DateTime<Utc>>,
    placed_at: DateTime<Utc>,
    by_key: bool,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    product_name: String,
    variant_title: Option<String>,
    sku: String,
    unit_price_minor: i64,
    quantity: i64,
    line_total_minor: i64,
}

/// Who may see an order: whoever holds its link's key, or the account that placed it.
#[derive(Clone, Debug)]
pub struct Viewer<'a> {
    pub key: Option<&'a str>,
    pub user_id: Option<i64>,
}

/// Whether the viewer holds one of order `o`'s keys (`$2`: [`Viewer::key_hash`]), as column `by_key`.
const HOLDS_KEY: &str =
    "EXISTS (SELECT 1 FROM order_keys k WHERE k.key_hash = $2 AND k.order_id = o.id) AS by_key";

impl Viewer<'_> {
    /// The viewer's key as the order's keys are kept: hashed.
    fn key_hash(&self) -> Option<String> {
        self.key.map(crate::accounts::repo::token_hash)
    }

    /// Whether they may see an order placed by `owner`, given whether they hold one of its keys.
    fn may_see(&self, owner: Option<i64>, holds_key: bool) -> bool {
        holds_key || (owner.is_some() && owner == self.user_id)
    }
}

/// The order with this number, if `viewer` may see it; `None` alike when there is no such order
/// and when it is someone else's.
#[tracing::instrument(skip(db, viewer))]
pub async fn order_for(
    db: &Db,
    number: &str,
    viewer: &Viewer<'_>,
) -> Result<Option<OrderView>, sqlx::Error> {
    let sql = format!(
        "SELECT o.id, o.number, o.user_id, o.email, o.status, o.currency, o.subtotal_minor,
                o.discount_minor, o.shipping_minor, o.tax_minor, o.total_minor, o.prices_include_tax,
                CAST(o.tax_rate_bp AS BIGINT) AS tax_rate_bp, o.shipping_name, o.shipping_address,
                o.billing_address, o.promo_code, o.reserved_until, o.placed_at, {HOLDS_KEY}
         FROM orders o WHERE o.number = $1"
    );
    let row: Option<OrderRow> = on_readers!(db, pool => sqlx::query_as(&sql)
        .bind(number).bind(viewer.key_hash()).fetch_optional(pool).await)?;
    let Some(row) = row.filter(|row| viewer.may_see(row.user_id, row.by_key)) else {
        return Ok(None);
    };
    let lines: Vec<LineRow> = on_readers!(db, pool => sqlx::query_as(
        "SELECT product_name, variant_title, sku, unit_price_minor, CAST(quantity AS BIGINT) AS quantity, line_total_minor
         FROM order_lines WHERE order_id = $1 ORDER BY id"
    ).bind(row.id).fetch_all(pool).await)?;
    let history: Vec<(String, String, DateTime<Utc>)> = on_readers!(db, pool => sqlx::query_as(
        "SELECT to_status, note, created_at FROM order_status_history WHERE order_id = $1 ORDER BY id"
    ).bind(row.id).fetch_all(pool).await)?;
    let payment: Option<(String, Option<String>)> = on_readers!(db, pool => sqlx::query_as(
        "SELECT status, last_error FROM payments WHERE order_id = $1 ORDER BY id DESC LIMIT 1"
    ).bind(row.id).fetch_optional(pool).await)?;

    let currency = Currency::parse(&row.currency).unwrap_or(Currency::XXX);
    let money = |minor| Money::new(minor, currency);
    let status = OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Cancelled);
    let address = |json: &str| -> PostalAddress {
        serde_json::from_str(json).unwrap_or_else(|error| {
            tracing::error!(%error, number = %row.number, "an order's address could not be read");
            PostalAddress {
                full_name: String::new(),
                line1: String::new(),
                line2: None,
                city: String::new(),
                region: None,
                postal_code: String::new(),
                country: String::new(),
                phone: None,
            }
        })
    };
    Ok(Some(OrderView {
        number: row.number.clone(),
        status,
        email: row.email.clone(),
        placed_at: row.placed_at.to_rfc3339(),
        lines: lines
            .into_iter()
            .map(|line| OrderLineView {
                product_name: line.product_name,
                variant_title: line.variant_title,
                sku: line.sku,
                unit_price: money(line.unit_price_minor),
                quantity: u32::try_from(line.quantity).unwrap_or(0),
                line_total: money(line.line_total_minor),
            })
            .collect(),
        totals: Totals {
            subtotal: money(row.subtotal_minor),
            discount: money(row.discount_minor),
            shipping: money(row.shipping_minor),
            tax: money(row.tax_minor),
            total: money(row.total_minor),
        },
        prices_include_tax: row.prices_include_tax,
        tax_rate: percent_label(u32::try_from(row.tax_rate_bp).unwrap_or(0)),
        promo_code: row.promo_code.clone(),
        shipping_method: row.shipping_name.clone(),
        shipping_address: address(&row.shipping_address),
        billing_address: address(&row.billing_address),
        reserved_until: row
            .reserved_until
            .filter(|_| status == OrderStatus::PendingPayment)
            .map(|until| until.to_rfc3339()),
        history: history
            .into_iter()
            .filter_map(|(to, note, at)| {
                Some(StatusChange {
                    status: OrderStatus::parse(&to)?,
                    note,
                    at: at.to_rfc3339(),
                })
            })
            .collect(),
        payment: payment.map(|(status, last_error)| PaymentState { status, last_error }),
    }))
}

/// What paying an order needs: its id and total, and its latest payment attempt.
pub struct Payable {
    pub id: i64,
    pub number: String,
    /// Whether it is still awaiting payment.
    pub pending: bool,
    /// Random to this order (from its checkout key's hash), so that its idempotency keys at the
    /// provider never meet another database's.
    pub nonce: String,
    pub total: Money,
    pub attempts: i64,
    /// The latest attempt's PaymentIntent and status.
    pub latest: Option<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct PayableRow {
    id: i64,
    number: String,
    user_id: Option<i64>,
    status: String,
    total_minor: i64,
    currency: String,
    by_key: bool,
    checkout_key: Option<String>,
    attempts: i64,
    payment_intent_id: Option<String>,
    payment_status: Option<String>,
}

/// The order with this number as paying it needs it, if `viewer` may see it (as [`order_for`]),
/// in one statement: the card step is on every purchase's path.
pub async fn payable(
    db: &Db,
    number: &str,
    viewer: &Viewer<'_>,
) -> Result<Option<Payable>, sqlx::Error> {
    let sql = format!(
        "SELECT o.id, o.number, o.user_id, o.status, o.total_minor, o.currency, {HOLDS_KEY},
                (SELECT k.key_hash FROM order_keys k WHERE k.order_id = o.id AND k.purpose = 'checkout') AS checkout_key,
                (SELECT COUNT(*) FROM payments a WHERE a.order_id = o.id) AS attempts,
                p.payment_intent_id, p.status AS payment_status
         FROM orders o
         LEFT JOIN payments p ON p.id = (SELECT MAX(id) FROM payments WHERE order_id = o.id)
         WHERE o.number = $1"
    );
    let row: Option<PayableRow> = on_readers!(db, pool => sqlx::query_as(&sql)
        .bind(number).bind(viewer.key_hash()).fetch_optional(pool).await)?;
    let Some(row) = row.filter(|row| viewer.may_see(row.user_id, row.by_key)) else {
        return Ok(None);
    };
    Ok(Some(Payable {
        id: row.id,
        number: row.number,
        pending: row.status == OrderStatus::PendingPayment.name(),
        nonce: row
            .checkout_key
            .unwrap_or_default()
            .chars()
            .take(16)
            .collect(),
        total: Money::new(
            row.total_minor,
            Currency::parse(&row.currency).unwrap_or(Currency::XXX),
        ),
        attempts: row.attempts,
        latest: row.payment_intent_id.zip(row.payment_status),
    }))
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    number: String,
    status: String,
    placed_at: DateTime<Utc>,
    total_minor: i64,
    currency: String,
    item_count: i64,
}

/// A cursor into a shopper's orders, newest first: the last order shown's time (microseconds) and
/// id, as `MICROS~ID`.
pub fn parse_cursor(text: &str) -> Option<(DateTime<Utc>, i64)> {
    let (micros, id) = text.split_once('~')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.parse().ok()?))
}

/// One page of the account's orders, newest first, after `cursor` (keyset: the same cost deep in
/// the list as at its start).
#[tracing::instrument(skip(db))]
pub async fn orders_of(
    db: &Db,
    user_id: i64,
    cursor: Option<(DateTime<Utc>, i64)>,
) -> Result<super::OrdersPage, sqlx::Error> {
    let limit = i64::try_from(super::ORDERS_PER_PAGE).unwrap_or(20) + 1;
    // Not chrono's MAX_UTC: SQLite compares times as text, and its six-digit year sorts first.
    let end_of_time = DateTime::from_timestamp(253_402_300_799, 0).unwrap_or_default();
    let (before, before_id) = cursor.unwrap_or((end_of_time, i64::MAX));
    let rows: Vec<SummaryRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT o.id, o.number, o.status, o.placed_at, o.total_minor, o.currency,
                CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT) AS item_count
         FROM orders o
         WHERE o.user_id = $1 AND (o.placed_at < $2 OR (o.placed_at = $2 AND o.id < $3))
         ORDER BY o.placed_at DESC, o.id DESC LIMIT $4"
    ).bind(user_id).bind(before).bind(before_id).bind(limit).fetch_all(pool).await)?;
    let more = rows.len() > super::ORDERS_PER_PAGE;
    let shown: Vec<SummaryRow> = rows.into_iter().take(super::ORDERS_PER_PAGE).collect();
    let next = more
        .then(|| {
            shown
                .last()
                .map(|last| format!("{}~{}", last.placed_at.timestamp_micros(), last.id))
        })
        .flatten();
    Ok(super::OrdersPage {
        orders: shown
            .into_iter()
            .map(|row| super::OrderSummary {
                number: row.number,
                status: OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Cancelled),
                placed_at: row.placed_at.to_rfc3339(),
                total: Money::new(
                    row.total_minor,
                    Currency::parse(&row.currency).unwrap_or(Currency::XXX),
                ),
                item_count: u32::try_from(row.item_count).unwrap_or(0),
            })
            .collect(),
        next,
    })
}
