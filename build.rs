// `sqlx::migrate!` embeds the migrations in the binary; without this, cargo would not rebuild when
// one is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
