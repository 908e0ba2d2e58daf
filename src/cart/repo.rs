//! Cart SQL, one text for both engines. Writes that read stock and change a line run in one
//! transaction, so the check and the write see the same stock.

use super::{CartLine, CartView, Quantity};
use crate::catalog::repo::ImageColumns;
use crate::money::{Currency, Money};
use crate::server::db::{Db, Locked, Tx};
use crate::server::shopper_changes::Whose;
use crate::{in_tx, on_db};

#[derive(Debug, PartialEq, Eq)]
pub enum CartError {
    /// No such variant of an active product, or no such line in the cart.
    Unknown,
    /// The cart would hold more than is in stock.
    NotEnoughStock { available: u32, in_cart: u32 },
}

/// Total quantity across a cart's lines.
#[tracing::instrument(skip(db))]
pub async fn item_count(db: &Db, cart_id: i64) -> Result<u32, sqlx::Error> {
    let total: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM cart_items WHERE cart_id = $1"
    )
    .bind(cart_id)
    .fetch_one(pool)
    .await)?;
    Ok(u32::try_from(total).unwrap_or(u32::MAX))
}

/// A new guest cart, or for a signed-in shopper their one cart (made if they have none yet).
pub async fn create(db: &Db, owner: Option<i64>) -> Result<i64, sqlx::Error> {
    let now = db.now();
    match owner {
        None => {
            on_db!(db, pool => sqlx::query_scalar("INSERT INTO carts (created_at, updated_at) VALUES ($1, $1) RETURNING id")
            .bind(now)
            .fetch_one(pool)
            .await)
        }
        Some(user_id) => {
            // After a sign-in on another device has given the account its cart, or before.
            let mut tx = db.begin().await?;
            tx.lock_row(Locked::User, user_id).await?;
            let id = in_tx!(&mut tx, conn => sqlx::query_scalar(
                "INSERT INTO carts (user_id, created_at, updated_at) VALUES ($1, $2, $2)
                 ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at RETURNING id"
            )
                .bind(user_id)
                .bind(now)
                .fetch_one(conn)
                .await)?;
            tx.commit().await?;
            Ok(id)
        }
    }
}

/// SQL for how much of inventory row `i`'s variant a cart may hold: the stock for sale, plus what
/// the cart's own unpaid orders hold, since checking the cart out again releases them first.
/// `$cart` is the cart's id as the enclosing query names it (a placeholder or a column).
macro_rules! available_to_cart {
    ($cart:literal) => {
        concat!(
            "i.on_hand - i.reserved + COALESCE((SELECT SUM(held.quantity) FROM order_lines held
                JOIN orders o ON o.id = held.order_id
                WHERE o.cart_id = ",
            $cart,
            " AND o.status = 'pending_payment' AND held.variant_id = i.variant_id), 0)"
        )
    };
}
pub(crate) use available_to_cart;

/// How much of a variant of an active product the cart may hold ([`available_to_cart`]), and how
/// much it holds; `None` when the variant is not for sale.
async fn available(
    tx: &mut Tx,
    cart_id: i64,
    variant_id: i64,
) -> Result<Option<(u32, u32)>, sqlx::Error> {
    let found: Option<(i64, Option<i64>)> = in_tx!(tx, conn => sqlx::query_as(concat!(
        "SELECT CAST(", available_to_cart!("$2"), " AS BIGINT),
                (SELECT CAST(quantity AS BIGINT) FROM cart_items WHERE cart_id = $2 AND variant_id = $1)
         FROM inventory i
         JOIN product_variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id
         WHERE v.id = $1 AND p.status = 'active'"
    )).bind(variant_id).bind(cart_id).fetch_optional(conn).await)?;
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    Ok(found.map(|(available, in_cart)| (count(available), in_cart.map_or(0, count))))
}

async fn in_cart(tx: &mut Tx, cart_id: i64, variant_id: i64) -> Result<Option<u32>, sqlx::Error> {
    let quantity: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar(
        "SELECT CAST(quantity AS BIGINT) FROM cart_items WHERE cart_id = $1 AND variant_id = $2"
    ).bind(cart_id).bind(variant_id).fetch_optional(conn).await)?;
    Ok(quantity.map(|n| u32::try_from(n).unwrap_or(0)))
}

async fn write_line(
    tx: &mut Tx,
    cart_id: i64,
    variant_id: i64,
    quantity: u32,
) -> Result<(), sqlx::Error> {
    let now = tx.now();
    let quantity = i32::try_from(quantity).unwrap_or(i32::MAX);
    in_tx!(tx, conn => sqlx::query(
        "INSERT INTO cart_items (cart_id, variant_id, quantity, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity"
    ).bind(cart_id).bind(variant_id).bind(quantity).bind(now).execute(conn).await.map(drop))?;
    touch(tx, cart_id).await
}

/// Marks the cart changed: every change to its lines comes through here.
async fn touch(tx: &mut Tx, cart_id: i64) -> Result<(), sqlx::Error> {
    tx.changed(Whose::Cart(cart_id));
    let now = tx.now();
    in_tx!(tx, conn => sqlx::query("UPDATE carts SET updated_at = $1 WHERE id = $2")
        .bind(now).bind(cart_id).execute(conn).await.map(drop))
}

/// Adds `quantity` of a variant, refusing (and changing nothing) if the line would exceed stock.
#[tracing::instrument(skip(db))]
pub async fn add(
    db: &Db,
    cart_id: i64,
    variant_id: i64,
    quantity: Quantity,
) -> Result<Result<(), CartError>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if !tx.lock_row(Locked::Cart, cart_id).await? {
        return Ok(Err(CartError::Unknown));
    }
    let Some((available, in_cart)) = available(&mut tx, cart_id, variant_id).await? else {
        return Ok(Err(CartError::Unknown));
    };
    let wanted = in_cart.saturating_add(quantity.0);
    if wanted > available || wanted > super::MAX_QUANTITY {
        return Ok(Err(CartError::NotEnoughStock {
            available: available.min(super::MAX_QUANTITY),
            in_cart,
        }));
    }
    write_line(&mut tx, cart_id, variant_id, wanted).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Sets a line's quantity; zero removes it.
#[tracing::instrument(skip(db))]
pub async fn set_quantity(
    db: &Db,
    cart_id: i64,
    variant_id: i64,
    quantity: Quantity,
) -> Result<Result<(), CartError>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if !tx.lock_row(Locked::Cart, cart_id).await? {
        return Ok(Err(CartError::Unknown));
    }
    let Some(in_cart) = in_cart(&mut tx, cart_id, variant_id).await? else {
        return Ok(Err(CartError::Unknown));
    };
    if quantity.0 == 0 {
        remove_line(&mut tx, cart_id, variant_id).await?;
    } else {
        let available = available(&mut tx, cart_id, variant_id)
            .await?
            .map_or(0, |(available, _)| available);
        if quantity.0 > available {
            return Ok(Err(CartError::NotEnoughStock { available, in_cart }));
        }
        write_line(&mut tx, cart_id, variant_id, quantity.0).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

#[tracing::instrument(skip(db))]
pub async fn remove(
    db: &Db,
    cart_id: i64,
    variant_id: i64,
) -> Result<Result<(), CartError>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if !tx.lock_row(Locked::Cart, cart_id).await?
        || remove_line(&mut tx, cart_id, variant_id).await? == 0
    {
        return Ok(Err(CartError::Unknown));
    }
    tx.commit().await?;
    Ok(Ok(()))
}

async fn remove_line(tx: &mut Tx, cart_id: i64, variant_id: i64) -> Result<u64, sqlx::Error> {
    let removed = in_tx!(tx, conn => sqlx::query("DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2")
        .bind(cart_id).bind(variant_id).execute(conn).await.map(|done| done.rows_affected()))?;
    touch(tx, cart_id).await?;
    Ok(removed)
}

#[derive(sqlx::FromRow)]
struct LineRow {
    variant_id: i64,
    slug: String,
    name: String,
    title: String,
    variant_count: i64,
    price_minor: i64,
    currency: String,
    quantity: i64,
    available: i64,
    #[sqlx(flatten)]
    image: ImageColumns,
}

/// The cart's lines at today's prices and stock, in the order they were added.
#[tracing::instrument(skip(db))]
pub async fn view(
    db: &Db,
    cart_id: Option<i64>,
    currency: Currency,
) -> Result<CartView, sqlx::Error> {
    let rows: Vec<LineRow> = match cart_id {
        None => Vec::new(),
        Some(cart_id) => on_db!(db, pool => sqlx::query_as(
            concat!("SELECT v.id AS variant_id, p.slug, p.name, v.title,
                    (SELECT COUNT(*) FROM product_variants sibling WHERE sibling.product_id = p.id) AS variant_count,
                    v.price_minor, v.currency, CAST(ci.quantity AS BIGINT) AS quantity,
                    CAST(", available_to_cart!("ci.cart_id"), " AS BIGINT) AS available,
                    img.path AS image_path, img.alt AS image_alt, img.width AS image_width, img.height AS image_height,
                    img.renditions AS image_renditions
             FROM cart_items ci
             JOIN product_variants v ON v.id = ci.variant_id
             JOIN products p ON p.id = v.product_id
             JOIN inventory i ON i.variant_id = v.id
             LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
             WHERE ci.cart_id = $1
             ORDER BY ci.added_at, v.id")
        ).bind(cart_id).fetch_all(pool).await)?,
    };
    let lines: Vec<CartLine> = rows
        .into_iter()
        .map(|row| {
            let unit_price = Money::new(
                row.price_minor,
                Currency::parse(&row.currency).unwrap_or(Currency::XXX),
            );
            let quantity = u32::try_from(row.quantity).unwrap_or(0);
            CartLine {
                variant_id: row.variant_id,
                product_slug: row.slug,
                product_name: row.name,
                variant_title: (row.variant_count > 1).then_some(row.title),
                image: row.image.into_image(),
                unit_price,
                quantity,
                line_total: Money::new(
                    unit_price.minor.saturating_mul(i64::from(quantity)),
                    unit_price.currency,
                ),
                available: u32::try_from(row.available.max(0)).unwrap_or(u32::MAX),
            }
        })
        .collect();
    let subtotal = Money::new(
        lines
            .iter()
            .map(|line| line.line_total.minor)
            .fold(0_i64, i64::saturating_add),
        currency,
    );
    let item_count = lines.iter().map(|line| line.quantity).sum();
    Ok(CartView {
        lines,
        subtotal,
        item_count,
    })
}

/// At sign-in: the session's guest cart becomes the account's cart, or, when the account already
/// has one, its lines are added to it (each capped by stock and the line maximum) and the guest
/// cart is deleted. Only a cart without an owner is taken, so a session can never pull in someone
/// else's cart. Answers the account's cart, if it has one now. `tx` must hold the account's row
/// lock.
#[tracing::instrument(skip(tx))]
pub async fn adopt_guest_cart(
    tx: &mut Tx,
    guest_cart_id: Option<i64>,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // The caller's transaction holds the account's row lock (`auth::sign_in`), or two sign-ins at
    // once would each give it a cart. Then its cart and the guest cart, in that order (as
    // everywhere: account, then carts), so no addition from another tab falls between a read and a
    // write.
    let owned: Option<i64> = in_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM carts WHERE user_id = $1")
        .bind(user_id).fetch_optional(conn).await)?;
    if let Some(owned) = owned {
        tx.lock_row(Locked::Cart, owned).await?;
    }
    let guest = match guest_cart_id {
        Some(id) if tx.lock_row(Locked::GuestCart, id).await? => Some(id),
        _ => None,
    };
    match (owned, guest) {
        (owned, None) => Ok(owned),
        (None, Some(guest)) => {
            in_tx!(tx, conn => sqlx::query("UPDATE carts SET user_id = $1 WHERE id = $2")
                .bind(user_id).bind(guest).execute(conn).await.map(drop))?;
            touch(tx, guest).await?;
            Ok(Some(guest))
        }
        (Some(owned), Some(guest)) => {
            // An order the guest placed and has not paid yet belongs to the account's cart now, so
            // paying it empties that cart, a new checkout of it replaces the order, and what it
            // holds counts as the cart's own below.
            in_tx!(tx, conn => sqlx::query(
                "UPDATE orders SET cart_id = $1 WHERE cart_id = $2 AND status = 'pending_payment'"
            ).bind(owned).bind(guest).execute(conn).await.map(drop))?;
            let lines: Vec<(i64, i64)> = in_tx!(tx, conn => sqlx::query_as(
                "SELECT variant_id, CAST(quantity AS BIGINT) FROM cart_items WHERE cart_id = $1 ORDER BY variant_id"
            ).bind(guest).fetch_all(conn).await)?;
            for (variant_id, quantity) in lines {
                let Some((available, current)) = available(tx, owned, variant_id).await? else {
                    continue;
                };
                let wanted = current
                    .saturating_add(u32::try_from(quantity).unwrap_or(0))
                    .min(available)
                    .min(super::MAX_QUANTITY);
                if wanted > current {
                    write_line(tx, owned, variant_id, wanted).await?;
                }
            }
            in_tx!(tx, conn => sqlx::query("DELETE FROM carts WHERE id = $1")
                .bind(guest).execute(conn).await.map(drop))?;
            Ok(Some(owned))
        }
    }
}
