//! The integration suite: the real server on port 0 with a fresh database per test, on SQLite by
//! default and on PostgreSQL when TEST_DATABASE_URL names a server (scripts/test runs both).

mod support;

mod accounts;
mod audit;
mod authorization;
mod cache;
mod cart;
mod catalog;
mod categories;
mod checkout;
mod clients;
mod config;
mod csv;
mod data;
mod demo;
mod http;
mod images;
mod imports;
mod likes;
mod payments;
mod personal;
mod products;
mod schema;
mod search;
mod seo;
mod stock;
