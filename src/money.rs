//! Money is an integer count of a currency's minor units (cents, pence, yen). Never a float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code the shop can price in. Parsing is the only way to get one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");
    /// ISO 4217's code for "no currency".
    pub const XXX: Currency = Currency(*b"XXX");

    pub fn parse(code: &str) -> Result<Self, String> {
        let upper = code.trim().to_ascii_uppercase();
        match <[u8; 3]>::try_from(upper.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency(bytes)),
            _ => Err(format!(
                "'{code}' is not a three-letter currency code such as EUR or USD"
            )),
        }
    }

    pub fn code(&self) -> &str {
        // The bytes are ASCII uppercase letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point, per ISO 4217.
    pub fn exponent(&self) -> u32 {
        match &self.0 {
            b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG"
            | b"RWF" | b"UGX" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => 0,
            b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
            _ => 2,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        match &self.0 {
            b"EUR" => Some("€"),
            b"USD" => Some("$"),
            b"GBP" => Some("£"),
            b"JPY" => Some("¥"),
            _ => None,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in minor units of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Parses a decimal amount typed by a person ("12", "12.5", "12.50") into minor units,
    /// refusing more decimals than the currency has and amounts past what an i64 holds.
    pub fn parse_decimal(input: &str, currency: Currency) -> Result<Self, String> {
        let text = input.trim();
        let invalid = || format!("'{input}' is not an amount like 12.50");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(invalid());
        }
        let exponent = currency.exponent();
        if fraction.len() > exponent as usize {
            return Err(format!(
                "{} allows at most {exponent} decimal places",
                currency.code()
            ));
        }
        let scale = 10_i64.pow(exponent);
        let too_large = || format!("'{input}' is too large an amount");
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        let padded = format!("{fraction:0<width$}", width = exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| invalid())?
        };
        let magnitude = whole
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction))
            .ok_or_else(too_large)?;
        Ok(Money::new(
            if negative { -magnitude } else { magnitude },
            currency,
        ))
    }

    /// The amount as a plain decimal, the inverse of [`Money::parse_decimal`].
    pub fn to_decimal_string(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let magnitude = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let amount = self.to_decimal_string();
        match self.currency.symbol() {
            Some(symbol) => match amount.strip_prefix('-') {
                Some(positive) => write!(f, "-{symbol}{positive}"),
                None => write!(f, "{symbol}{amount}"),
            },
            None => write!(f, "{amount} {}", self.currency.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_symbol_or_code() {
        assert_eq!(Money::new(1250, Currency::EUR).to_string(), "€12.50");
        assert_eq!(Money::new(-5, Currency::USD).to_string(), "-$0.05");
        assert_eq!(
            Money::new(1500, Currency::parse("jpy").unwrap()).to_string(),
            "¥1500"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("KWD").unwrap()).to_string(),
            "1.234 KWD"
        );
        assert_eq!(
            Money::new(99, Currency::parse("chf").unwrap()).to_string(),
            "0.99 CHF"
        );
    }

    #[test]
    fn refuses_bad_amounts_with_a_reason() {
        for bad in ["", "abc", "1.", ".5", "1.2.3", "1,50", "--1", "1e3", " . "] {
            assert!(
                Money::parse_decimal(bad, Currency::EUR).is_err(),
                "{bad:?} was accepted"
            );
        }
        let err = Money::parse_decimal("1.234", Currency::EUR).unwrap_err();
        assert!(err.contains("2 decimal places"), "{err}");
        assert!(Money::parse_decimal("99999999999999999999", Currency::EUR).is_err());
    }

    #[test]
    fn refuses_codes_that_are_not_three_letters() {
        for bad in ["", "EU", "EURO", "E1R", "€€€"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    proptest! {
        #[test]
        fn decimal_text_round_trips(minor in any::<i64>().prop_filter("i64::MIN has no positive twin", |m| *m != i64::MIN),
                                    code in prop::sample::select(vec!["EUR", "JPY", "KWD"])) {
            let money = Money::new(minor, Currency::parse(code).unwrap());
            prop_assert_eq!(Money::parse_decimal(&money.to_decimal_string(), money.currency), Ok(money));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,24}") {
            let _ = Money::parse_decimal(&text, Currency::EUR);
        }
    }
}
