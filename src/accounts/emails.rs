//! The account emails, each as plain text and HTML. Links are absolute, on the shop's public URL.

use crate::server::mail::{Mail, escape};

/// Shared by every account email.
pub struct Letterhead<'a> {
    pub shop_name: &'a str,
    pub public_url: &'a str,
}

impl<'a> Letterhead<'a> {
    pub fn of(state: &'a crate::server::AppState) -> Self {
        Letterhead {
            shop_name: &state.settings.shop.name,
            public_url: &state.config.public_url,
        }
    }

    pub(crate) fn mail(
        &self,
        to: &str,
        template: &'static str,
        subject: &str,
        paragraphs: &[&str],
        link: Option<(&str, &str)>,
    ) -> Mail {
        let shop = self.shop_name;
        let mut text = paragraphs.join("\n\n");
        let mut html: String = paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect();
        if let Some((label, path)) = link {
            let url = format!("{}{path}", self.public_url);
            text.push_str(&format!("\n\n{label}: {url}"));
            html.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 16px;background:#1c1917;color:#fff;text-decoration:none;border-radius:6px\">{}</a></p>\
                 <p style=\"color:#57534e;font-size:13px\">Or copy this address into your browser: {}</p>",
                escape(&url),
                escape(label),
                escape(&url)
            ));
        }
        text.push_str(&format!("\n\n— {shop}\n"));
        let html = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;color:#1c1917;max-width:36rem;margin:2rem auto;padding:0 1rem\">\
             <h1 style=\"font-size:20px\">{subject}</h1>{html}<p style=\"color:#57534e\">— {shop}</p></body></html>",
            subject = escape(subject),
            shop = escape(shop),
        );
        Mail {
            to: to.to_owned(),
            template,
            subject: subject.to_owned(),
            text,
            html,
        }
    }

    pub fn welcome(&self, to: &str, name: &str, token: &str) -> Mail {
        self.mail(
            to,
            "welcome",
            &format!("Welcome to {}: confirm your email", self.shop_name),
            &[
                &format!("Hello {name},"),
                "Thank you for creating an account. Confirm your email address to sign in. The link works for 24 hours.",
                "If you did not sign up, ignore this email and no account will be active.",
            ],
            Some(("Confirm your email", &format!("/account/verify/{token}"))),
        )
    }

    /// Sent instead of a welcome when someone signs up with an address that already has an
    /// account, so the sign-up form itself never tells whether an address is registered.
    pub fn already_registered(&self, to: &str) -> Mail {
        self.mail(
            to,
            "already_registered",
            &format!("Your {} account", self.shop_name),
            &[
                "Someone, probably you, tried to create an account with this email address, but it already has one.",
                "If it was you, sign in, or reset your password if you have forgotten it. If not, you can ignore this email.",
            ],
            Some(("Reset your password", "/account/forgot")),
        )
    }

    pub fn reset(&self, to: &str, token: &str) -> Mail {
        self.mail(
            to,
            "reset_password",
            "Reset your password",
            &[
                "We received a request to reset the password of your account. The link works for one hour and only once.",
                "If you did not ask for this, ignore this email; your password stays as it is.",
            ],
            Some(("Choose a new password", &format!("/account/reset/{token}"))),
        )
    }

    pub fn staff_invitation(&self, to: &str, name: &str, role: &str, token: &str) -> Mail {
        self.mail(
            to,
            "staff_invitation",
            &format!("Your {} staff account", self.shop_name),
            &[
                &format!("Hello {name},"),
                &format!("An account with the {role} role has been created for you. Choose a password to start. The link works for one hour; ask an admin for a new one if it expires."),
            ],
            Some(("Choose your password", &format!("/account/reset/{token}"))),
        )
    }

    pub fn password_changed(&self, to: &str) -> Mail {
        self.mail(
            to,
            "password_changed",
            "Your password was changed",
            &[
                "The password of your account was just changed, and every other device was signed out.",
                "If this was not you, reset your password now and check your account.",
            ],
            Some(("Reset your password", "/account/forgot")),
        )
    }

    /// To the old address, once the account has moved to a new one.
    pub fn email_changed(&self, to: &str, new_email: &str) -> Mail {
        self.mail(
            to,
            "email_changed",
            "The email address of your account was changed",
            &[
                &format!("The email address of your account is now {new_email}, and every other device was signed out."),
                "If you did not make this change, reply to this email at once so we can secure your account.",
            ],
            None,
        )
    }

    pub fn confirm_new_email(&self, to: &str, token: &str) -> Mail {
        self.mail(
            to,
            "change_email",
            "Confirm your new email address",
            &["Confirm that this is the new email address of your account. The link works for 24 hours."],
            Some(("Confirm this address", &format!("/account/verify/{token}"))),
        )
    }
}
