//! Checkout server functions: the page's view of the cart priced for a country, delivery method and
//! promo code, and placing the order. Every amount comes from the database and the settings.

use super::{CheckoutChoices, CheckoutForm, CheckoutView};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
mod flow {
    use super::super::pricing::Pricing;
    use super::super::repo::{self, Placement, Refusal};
    use super::super::{
        AddressFields, CheckoutChoices, CheckoutForm, CheckoutView, CountryOption, PostalAddress,
        ShippingOption, parse_promo_code, percent_label,
    };
    use crate::accounts::api::flow::parse_address;
    use crate::accounts::{AddressInput, AddressKind, Email, auth};
    use crate::cart::api::session_cart;
    use crate::error::AppError;
    use crate::server::AppState;
    use crate::server::config::{CheckoutSettings, Country, ShippingRate};
    use chrono::Duration;

    fn country<'a>(settings: &'a CheckoutSettings, code: Option<&str>) -> &'a Country {
        code.and_then(|code| settings.country(&code.trim().to_uppercase()))
            .unwrap_or(&settings.countries[0])
    }

    fn shipping<'a>(settings: &'a CheckoutSettings, code: Option<&str>) -> &'a ShippingRate {
        code.and_then(|code| settings.shipping_rate(code.trim()))
            .unwrap_or(&settings.shipping[0])
    }

    fn pricing(state: &AppState, country: &Country, rate: &ShippingRate) -> Pricing {
        Pricing {
            currency: state.settings.shop.currency,
            shipping_minor: rate.price_minor,
            free_over_minor: rate.free_over_minor,
            tax_rate_bp: country.tax_rate_bp,
            prices_include_tax: state.settings.checkout.prices_include_tax,
        }
    }

    pub async fn view(
        state: &AppState,
        choices: CheckoutChoices,
    ) -> Result<CheckoutView, AppError> {
        let settings = &state.settings.checkout;
        let cart_id = session_cart::existing().await?;
        let cart =
            crate::cart::repo::view(&state.db, cart_id, state.settings.shop.currency).await?;
        let user = auth::current_user().await?;
        let country = country(settings, choices.country.as_deref());
        let chosen = shipping(settings, choices.shipping.as_deref());

        let (promo, promo_problem, discount) =
            match parse_promo_code(choices.promo.as_deref().unwrap_or_default()) {
                Err(error) => (None, Some(error.to_string()), None),
                Ok(None) => (None, None, None),
                Ok(Some(code)) => match repo::find_promo(&state.db, &code).await? {
                    None => (
                        None,
                        Some("That promo code does not exist.".to_owned()),
                        None,
                    ),
                    Some(row) => match row.discount(cart.subtotal, state.db.now()) {
                        Ok(discount) => (Some(row.code), None, Some(discount)),
                        Err(problem) => (None, Some(problem), None),
                    },
                },
            };
        let price = |rate: &ShippingRate| {
            pricing(state, country, rate).totals(cart.subtotal.minor, discount)
        };
        let shipping_options = settings
            .shipping
            .iter()
            .map(|rate| ShippingOption {
                code: rate.code.clone(),
                name: rate.name.clone(),
                price: price(rate).shipping,
            })
            .collect();
        let saved_addresses = match &user {
            Some(user) => crate::accounts::repo::addresses_of(&state.db, user.id)
                .await?
                .into_iter()
                .filter(|address| {
                    address.kind == AddressKind::Shipping && address.country == country.code
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(CheckoutView {
            totals: price(chosen),
            lines: cart.lines,
            email: user.as_ref().map(|user| user.email.clone()),
            signed_in: user.is_some(),
            countries: settings
                .countries
                .iter()
                .map(|c| CountryOption {
                    code: c.code.clone(),
                    name: c.name.clone(),
                })
                .collect(),
            country: country.code.clone(),
            shipping_options,
            shipping: chosen.code.clone(),
            promo,
            promo_problem,
            saved_addresses,
            prices_include_tax: settings.prices_include_tax,
            tax_rate: percent_label(country.tax_rate_bp),
            checkout_key: crate::server::tokens::random_token(),
        })
    }

    fn address(
        fields: AddressFields,
        kind: AddressKind,
        country: &str,
    ) -> Result<crate::accounts::AddressView, AppError> {
        parse_address(AddressInput {
            kind: kind.name().to_owned(),
            full_name: fields.full_name,
            line1: fields.line1,
            line2: fields.line2,
            city: fields.city,
            region: fields.region,
            postal_code: fields.postal_code,
            country: country.to_owned(),
            phone: fields.phone,
            is_default: None,
        })
    }

    /// Places the order; answers its number and the key to its page.
    pub async fn place(state: &AppState, form: CheckoutForm) -> Result<(String, String), AppError> {
        let settings = &state.settings.checkout;
        let key = form.checkout_key.trim().to_owned();
        if !(32..=128).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::bad_request(
                "This checkout form is out of date. Please open checkout again.",
            ));
        }
        let email = Email::parse(&form.email)?;
        let country = settings
            .country(&form.country.trim().to_uppercase())
            .ok_or_else(|| AppError::bad_request("Choose a country we deliver to."))?;
        let rate = settings
            .shipping_rate(form.shipping.trim())
            .ok_or_else(|| AppError::bad_request("Choose a delivery method."))?;
        let promo = parse_promo_code(&form.promo)?;
        let seen_total = match form.seen_total.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                AppError::bad_request(
                    "This checkout form is out of date. Please open checkout again.",
                )
            })?),
        };
        let user = auth::current_user().await?;

        let (shipping_address, save_address) = match (form.saved_address.trim(), &user) {
            ("" | "new", _) | (_, None) => {
                let address = address(form.shipping_address, AddressKind::Shipping, &country.code)?;
                let save = form.save_address.is_some() && user.is_some();
                (
                    PostalAddress::from(address.clone()),
                    save.then_some(address),
                )
            }
            (id, Some(user)) => {
                let id: i64 = id
                    .parse()
                    .map_err(|_| AppError::not_found("That address"))?;
                let saved = crate::accounts::repo::addresses_of(&state.db, user.id)
                    .await?
                    .into_iter()
                    .find(|address| address.id == id)
                    .ok_or_else(|| AppError::not_found("That address"))?;
                if saved.country != country.code {
                    return Err(AppError::bad_request(format!(
                        "That address is not in {}; choose its country above or enter the address.",
                        country.name
                    )));
                }
                (PostalAddress::from(saved), None)
            }
        };
        let billing_address = if form.billing_same.is_some() {
            shipping_address.clone()
        } else {
            let billing_country = form.billing_country.trim().to_uppercase();
            PostalAddress::from(address(
                form.billing_address,
                AddressKind::Billing,
                &billing_country,
            )?)
        };

        let cart_id = session_cart::existing()
            .await?
            .ok_or_else(|| AppError::bad_request("Your cart is empty."))?;
        let placement = Placement {
            cart_id,
            user_id: user.as_ref().map(|user| user.id),
            access_key: key.clone(),
            email: email.as_str().to_owned(),
            currency: state.settings.shop.currency,
            tax_rate_bp: country.tax_rate_bp,
            prices_include_tax: settings.prices_include_tax,
            shipping_code: rate.code.clone(),
            shipping_name: rate.name.clone(),
            shipping_minor: rate.price_minor,
            free_over_minor: rate.free_over_minor,
            promo,
            seen_total_minor: seen_total,
            shipping_address,
            billing_address,
            save_address,
            number_prefix: settings.order_number_prefix.clone(),
            reserve_for: Duration::minutes(i64::from(settings.reservation_minutes)),
            now: state.db.now(),
        };
        let letterhead = crate::accounts::emails::Letterhead::of(state);
        let placed = repo::place_order(&state.db, &letterhead, &placement)
            .await?
            .map_err(refused)?;
        state.outbox.wake();
        for order_id in placed.replaced {
            crate::orders::payments::cancel_open_intents(&state.db, &state.payments, order_id)
                .await;
        }
        Ok((placed.number, key))
    }

    pub fn refused(refusal: Refusal) -> AppError {
        match refusal {
            Refusal::EmptyCart => AppError::bad_request("Your cart is empty."),
            Refusal::Withdrawn(label) => AppError::Conflict(format!(
                "{label} is no longer sold. Please remove it from your cart."
            )),
            Refusal::Short(lines) => AppError::Conflict(
                lines
                    .iter()
                    .map(|line| match line.available {
                        0 => format!("{} is sold out.", line.label),
                        n => format!("Only {n} left of {}.", line.label),
                    })
                    .chain(std::iter::once(
                        "Please change your cart and try again.".to_owned(),
                    ))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Refusal::Promo(problem) => AppError::BadRequest(problem),
            Refusal::BelowMinimum(minimum) => AppError::BadRequest(format!(
                "A card payment must be at least {minimum}. Please add something to your cart."
            )),
            Refusal::TotalChanged(total) => AppError::Conflict(format!(
                "Prices changed since you opened checkout: the total is now {total}. Please check your order and place it again."
            )),
        }
    }
}

/// The checkout page's content for the choices in its address.
#[server(input = GetUrl)]
pub async fn fetch_checkout(
    #[server(default)] choices: CheckoutChoices,
) -> Result<CheckoutView, AppError> {
    let state = crate::server::state()?;
    flow::view(&state, choices).await
}

/// Places the order and, for a form post, goes on to the order's page, where it is paid. The
/// fields arrive as `checkout[email]`, `checkout[shipping_address][line1]` and so on.
#[server]
pub async fn place_order(checkout: CheckoutForm) -> Result<String, AppError> {
    let state = crate::server::state()?;
    let (number, key) = flow::place(&state, checkout).await?;
    leptos_axum::redirect(&format!("/orders/{number}?key={key}"));
    Ok(number)
}
