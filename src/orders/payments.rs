//! What the payment provider's events do to payments and orders. Every effect is monotonic and
//! idempotent, so events may come twice, late or out of order and still end in the right state:
//! a payment that succeeded or was cancelled never changes again, an older event never overwrites
//! a newer one, and an order only ever moves forward through its status machine.

use super::OrderStatus;
use super::repo::{add_key, record_status};
use crate::accounts::emails::Letterhead;
use crate::money::{Currency, Money};
use crate::server::AppState;
use crate::server::db::{Db, Locked, Tx};
use crate::server::jobs::{Job, Schedule};
use crate::server::mail::enqueue;
use crate::server::shopper_changes::Whose;
use crate::{in_tx, on_db, on_readers};
use chrono::{DateTime, Utc};

/// A PaymentIntent's status, as the provider names it.
pub const INTENT_STATUSES: [&str; 7] = [
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "requires_capture",
    "succeeded",
    "canceled",
];

fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "canceled")
}

/// Records a PaymentIntent the shop created for an order.
pub async fn insert_payment(
    db: &Db,
    order_id: i64,
    provider: &str,
    intent_id: &str,
    amount: Money,
    status: &str,
) -> Result<(), sqlx::Error> {
    let now = db.now();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO payments (order_id, provider, payment_intent_id, amount_minor, currency, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (payment_intent_id) DO NOTHING"
    )
    .bind(order_id).bind(provider).bind(intent_id).bind(amount.minor).bind(amount.currency.code())
    .bind(status).bind(now)
    .execute(pool).await.map(drop))
}

/// A PaymentIntent as an event shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentUpdate {
    pub intent_id: String,
    pub status: String,
    /// Why the last attempt failed, as the provider tells the shopper.
    pub last_error: Option<String>,
    /// When the provider created the event, in seconds since 1970.
    pub event_created: i64,
}

/// What an event changed, for the worker's log and the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Not a payment of this shop's, or nothing new.
    Nothing,
    PaymentUpdated,
    OrderPaid,
    /// Paid after the order was cancelled: flagged for staff to refund.
    PaidTooLate,
    OrderRefunded,
    Flagged,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    order_id: i64,
    status: String,
    last_event_at: i64,
    amount_minor: i64,
    amount_refunded_minor: i64,
}

/// The payment of this PaymentIntent in a new transaction that holds its order's lock (the order
/// first, then its payment, as everywhere), or `None` when it is not one of the shop's. The order
/// is looked up before the transaction begins: on SQLite a transaction holds the one write lock,
/// and must not wait for another pooled connection meanwhile.
async fn payment_for_update(
    db: &Db,
    intent_id: &str,
) -> Result<Option<(Tx, PaymentRow)>, sqlx::Error> {
    const SELECT: &str =
        "SELECT id, order_id, status, last_event_at, amount_minor, amount_refunded_minor
                          FROM payments WHERE payment_intent_id = $1";
    let found: Option<PaymentRow> =
        on_readers!(db, pool => sqlx::query_as(SELECT).bind(intent_id).fetch_optional(pool).await)?;
    let Some(found) = found else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    tx.lock_row(Locked::Order, found.order_id).await?;
    let payment: Option<PaymentRow> =
        in_tx!(&mut tx, conn => sqlx::query_as(SELECT).bind(intent_id).fetch_optional(conn).await)?;
    Ok(payment.map(|payment| (tx, payment)))
}

/// Applies a PaymentIntent event: the payment's status, and for a success the order's payment.
pub async fn apply_intent(
    db: &Db,
    letterhead: &Letterhead<'_>,
    update: &IntentUpdate,
) -> Result<Applied, sqlx::Error> {
    if !INTENT_STATUSES.contains(&update.status.as_str()) {
        return Ok(Applied::Nothing);
    }
    let now = db.now();
    let Some((mut tx, payment)) = payment_for_update(db, &update.intent_id).await? else {
        return Ok(Applied::Nothing);
    };
    if is_final(&payment.status) || update.event_created < payment.last_event_at {
        return Ok(Applied::Nothing);
    }
    in_tx!(&mut tx, conn => sqlx::query(
        "UPDATE payments SET status = $1, last_error = $2, last_event_at = $3, updated_at = $4 WHERE id = $5"
    )
    .bind(&update.status).bind(&update.last_error).bind(update.event_created).bind(now).bind(payment.id)
    .execute(conn).await.map(drop))?;
    let applied = match update.status.as_str() {
        "succeeded" => mark_paid(&mut tx, letterhead, payment.order_id, now).await?,
        "requires_payment_method" if update.last_error.is_some() => {
            tell_payment_failed(&mut tx, letterhead, payment.order_id, update).await?;
            Applied::PaymentUpdated
        }
        _ => Applied::PaymentUpdated,
    };
    tx.commit().await?;
    Ok(applied)
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    number: String,
    status: String,
    cart_id: Option<i64>,
    email: String,
    currency: String,
    total_minor: i64,
}

async fn order_row(tx: &mut Tx, order_id: i64) -> Result<OrderRow, sqlx::Error> {
    in_tx!(tx, conn => sqlx::query_as(
        "SELECT number, status, cart_id, email, currency, total_minor FROM orders WHERE id = $1"
    ).bind(order_id).fetch_one(conn).await)
}

#[derive(sqlx::FromRow)]
struct SoldLine {
    variant_id: Option<i64>,
    quantity: i64,
    product_name: String,
    variant_title: Option<String>,
    line_total_minor: i64,
}

/// The order is paid: its reserved stock becomes sold (on hand and reserved both down, a ledger
/// row each), its lines leave the cart, and the shopper gets a confirmation with a link to the
/// order. An order cancelled meanwhile (its reservation ran out) is not revived: it is flagged for
/// staff to refund.
async fn mark_paid(
    tx: &mut Tx,
    letterhead: &Letterhead<'_>,
    order_id: i64,
    now: DateTime<Utc>,
) -> Result<Applied, sqlx::Error> {
    let order = order_row(tx, order_id).await?;
    match OrderStatus::parse(&order.status) {
        Some(OrderStatus::PendingPayment) => {}
        Some(OrderStatus::Cancelled) => {
            flag(
                tx,
                order_id,
                OrderStatus::Cancelled,
                "Payment received after the order was cancelled: refund it.",
                now,
            )
            .await?;
            return Ok(Applied::PaidTooLate);
        }
        _ => return Ok(Applied::Nothing),
    }
    in_tx!(tx, conn => sqlx::query(
        "UPDATE orders SET status = 'paid', reserved_until = NULL, updated_at = $2 WHERE id = $1"
    ).bind(order_id).bind(now).execute(conn).await.map(drop))?;
    let lines: Vec<SoldLine> = in_tx!(tx, conn => sqlx::query_as(
        "SELECT variant_id, CAST(quantity AS BIGINT) AS quantity, product_name, variant_title, line_total_minor
         FROM order_lines WHERE order_id = $1 ORDER BY variant_id"
    ).bind(order_id).fetch_all(conn).await)?;
    for SoldLine {
        variant_id,
        quantity,
        ..
    } in &lines
    {
        // A variant deleted since holds no stock to sell.
        let Some(variant_id) = variant_id else {
            continue;
        };
        in_tx!(tx, conn => sqlx::query(
            "UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1, updated_at = $3 WHERE variant_id = $2"
        ).bind(quantity).bind(variant_id).bind(now).execute(conn).await.map(drop))?;
        in_tx!(tx, conn => sqlx::query(
            "INSERT INTO stock_movements (variant_id, delta, reason, order_id, note, created_at)
             VALUES ($1, $2, 'sale', $3, $4, $5)"
        ).bind(variant_id).bind(-quantity).bind(order_id).bind(&order.number).bind(now).execute(conn).await.map(drop))?;
        if let Some(cart_id) = order.cart_id {
            tx.changed(Whose::Cart(cart_id));
            let removed = in_tx!(tx, conn => sqlx::query(
                "DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2 AND quantity <= $3"
            ).bind(cart_id).bind(variant_id).bind(quantity).execute(conn).await.map(|done| done.rows_affected()))?;
            // The shopper added more of it since: what was bought leaves the cart, the rest stays.
            if removed == 0 {
                in_tx!(tx, conn => sqlx::query(
                    "UPDATE cart_items SET quantity = quantity - $3 WHERE cart_id = $1 AND variant_id = $2"
                ).bind(cart_id).bind(variant_id).bind(quantity).execute(conn).await.map(drop))?;
            }
        }
    }
    record_status(
        tx,
        order_id,
        Some(OrderStatus::PendingPayment),
        OrderStatus::Paid,
        None,
        "Payment received.",
        now,
    )
    .await?;

    let key = crate::server::tokens::random_token();
    add_key(
        tx,
        order_id,
        &crate::accounts::repo::token_hash(&key),
        "email",
        now,
    )
    .await?;
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::XXX);
    let mut paragraphs = vec![format!(
        "Thank you for your order {}. We have your payment and are preparing it.",
        order.number
    )];
    paragraphs.extend(lines.iter().map(|line| {
        let name = match &line.variant_title {
            Some(title) => format!("{} ({title})", line.product_name),
            None => line.product_name.clone(),
        };
        let total = Money::new(line.line_total_minor, currency);
        format!("{} × {name}: {total}", line.quantity)
    }));
    paragraphs.push(format!(
        "Total paid: {}",
        Money::new(order.total_minor, currency)
    ));
    let texts: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let mail = letterhead.mail(
        &order.email,
        "order_confirmation",
        &format!("Your order {} is confirmed", order.number),
        &texts,
        Some((
            "See your order",
            &format!("/orders/{}?key={key}", order.number),
        )),
    );
    enqueue(tx, &mail).await?;
    Ok(Applied::OrderPaid)
}

async fn tell_payment_failed(
    tx: &mut Tx,
    letterhead: &Letterhead<'_>,
    order_id: i64,
    update: &IntentUpdate,
) -> Result<(), sqlx::Error> {
    let order = order_row(tx, order_id).await?;
    if order.status != OrderStatus::PendingPayment.name() {
        return Ok(());
    }
    let reason = update.last_error.clone().unwrap_or_default();
    let mail = letterhead.mail(
        &order.email,
        "payment_failed",
        &format!("Payment for order {} did not go through", order.number),
        &[
            &format!("The payment for your order {} did not go through: {reason}", order.number),
            "Your items are still held for a while. Go back to the order's page to try again with another card.",
        ],
        None,
    );
    enqueue(tx, &mail).await
}

async fn flag(
    tx: &mut Tx,
    order_id: i64,
    status: OrderStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    in_tx!(tx, conn => sqlx::query(
        "UPDATE orders SET needs_attention = TRUE, updated_at = $2 WHERE id = $1"
    ).bind(order_id).bind(now).execute(conn).await.map(drop))?;
    record_status(tx, order_id, Some(status), status, None, note, now).await
}

/// A charge's refunds so far: the order becomes partly or wholly refunded.
pub async fn apply_refunds(
    db: &Db,
    intent_id: &str,
    amount_refunded_minor: i64,
    event_created: i64,
) -> Result<Applied, sqlx::Error> {
    let now = db.now();
    let Some((mut tx, payment)) = payment_for_update(db, intent_id).await? else {
        return Ok(Applied::Nothing);
    };
    // Refunds only add up, so the larger figure is the newer one, whatever order events come in.
    if amount_refunded_minor <= payment.amount_refunded_minor {
        return Ok(Applied::Nothing);
    }
    in_tx!(&mut tx, conn => sqlx::query(
        "UPDATE payments SET amount_refunded_minor = $1, last_event_at = CASE WHEN last_event_at > $2 THEN last_event_at ELSE $2 END,
             updated_at = $3 WHERE id = $4"
    ).bind(amount_refunded_minor).bind(event_created).bind(now).bind(payment.id).execute(conn).await.map(drop))?;
    let order = order_row(&mut tx, payment.order_id).await?;
    let target = if amount_refunded_minor >= payment.amount_minor {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    let from = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled);
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::XXX);
    let note = format!(
        "{} refunded in all.",
        Money::new(amount_refunded_minor, currency)
    );
    let applied = if from.can_become(target) {
        in_tx!(&mut tx, conn => sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(target.name()).bind(now).bind(payment.order_id).execute(conn).await.map(drop))?;
        record_status(
            &mut tx,
            payment.order_id,
            Some(from),
            target,
            None,
            &note,
            now,
        )
        .await?;
        Applied::OrderRefunded
    } else if from == OrderStatus::Cancelled && target == OrderStatus::Refunded {
        // A payment that came after its order was cancelled, now given back in full: what staff
        // were asked to do is done.
        in_tx!(&mut tx, conn => sqlx::query(
            "UPDATE orders SET needs_attention = FALSE, updated_at = $2 WHERE id = $1"
        ).bind(payment.order_id).bind(now).execute(conn).await.map(drop))?;
        record_status(
            &mut tx,
            payment.order_id,
            Some(from),
            from,
            None,
            &note,
            now,
        )
        .await?;
        Applied::OrderRefunded
    } else {
        flag(&mut tx, payment.order_id, from, &note, now).await?;
        Applied::Flagged
    };
    tx.commit().await?;
    Ok(applied)
}

/// Something about a payment needs staff: a dispute, or a refund that failed.
pub async fn flag_payment(db: &Db, intent_id: &str, note: &str) -> Result<Applied, sqlx::Error> {
    let Some((mut tx, payment)) = payment_for_update(db, intent_id).await? else {
        return Ok(Applied::Nothing);
    };
    let order = order_row(&mut tx, payment.order_id).await?;
    let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled);
    flag(&mut tx, payment.order_id, status, note, db.now()).await?;
    tx.commit().await?;
    Ok(Applied::Flagged)
}

// Unpaid orders past their reservation are cancelled and their stock released, checked every minute:
// a reservation outlives its deadline by a minute at most.
inventory::submit! {
    Job {
        name: "expire reservations",
        schedule: Schedule::Every(|_| std::time::Duration::from_secs(60)),
        run: |state| Box::pin(expire_reservations(state)),
    }
}

async fn expire_reservations(state: AppState) {
    match super::repo::expire_reservations(&state.db, state.db.now()).await {
        Ok(cancelled) => {
            if !cancelled.is_empty() {
                tracing::info!(
                    orders = cancelled.len(),
                    "unpaid orders cancelled, stock released"
                );
            }
            for order_id in cancelled {
                cancel_open_intents(&state.db, &state.payments, order_id).await;
            }
        }
        Err(error) => tracing::warn!(%error, "expired reservations could not be released"),
    }
}

/// Cancels at the provider the PaymentIntents of a cancelled order that could still be paid, so a
/// card form left open cannot charge for it. A payment that gets through all the same is flagged
/// for a refund when its event arrives ([`Applied::PaidTooLate`]).
pub async fn cancel_open_intents(
    db: &Db,
    provider: &crate::server::payments::Payments,
    order_id: i64,
) {
    let open: Result<Vec<String>, sqlx::Error> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT payment_intent_id FROM payments
         WHERE order_id = $1 AND status NOT IN ('succeeded', 'canceled', 'processing')"
    ).bind(order_id).fetch_all(pool).await);
    match open {
        Ok(open) => {
            for intent in open {
                if let Err(error) = provider.cancel_intent(&intent).await {
                    tracing::warn!(%error, %intent, "a cancelled order's PaymentIntent could not be cancelled");
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, order_id, "a cancelled order's payments could not be read")
        }
    }
}
