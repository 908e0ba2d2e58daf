//! Demo data: a believable catalog with generated illustrations, loaded into an empty database so a
//! fresh checkout is a working shop, and a generator of large catalogs for benchmarks.

use super::config::Settings;
use super::db::{Db, Tx};
use crate::accounts::{Role, password, repo as accounts};
use crate::catalog::repo::{self as catalog, NewCategory, NewImage, NewProduct, NewVariant};
use crate::money::{Currency, Money};
use chrono::{Duration, Utc};
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("writing images under MEDIA_DIR: {0}")]
    Media(#[from] std::io::Error),
    #[error(transparent)]
    Password(#[from] password::HashError),
    #[error("the demo product {0} has no variants")]
    NoVariants(String),
    #[error("the shop has categories, but none of the demo ones to fill")]
    NoDemoCategories,
    #[error("the demo manager's address {0} is taken")]
    ManagerTaken(&'static str),
}

pub const MANAGER_EMAIL: &str = "manager@emporium.test";

/// The back-office account made with the demo data; its password exists only in this value.
pub struct DemoCredentials {
    pub email: String,
    pub password: String,
    pub products: usize,
}

impl DemoCredentials {
    /// Prints the password once, to the terminal that started the shop, and never to the log.
    pub fn announce(&self) {
        println!(
            "\n  Demo data loaded: {} products.\n  Back-office sign-in (shown only now):\n    email:    {}\n    password: {}\n",
            self.products, self.email, self.password
        );
    }
}

struct Subcategory {
    slug: &'static str,
    name: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    /// Lowest and highest price in minor units.
    price: (i64, i64),
    sizes: &'static [&'static str],
}

struct TopCategory {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    motif: Motif,
    children: &'static [Subcategory],
}

#[derive(Clone, Copy)]
enum Motif {
    Bowl,
    Lamp,
    Garment,
    Mountain,
    Notebook,
    Candle,
}

const CLOTHING_SIZES: &[&str] = &["S", "M", "L", "XL"];
const BED_SIZES: &[&str] = &["Single", "Double", "King"];

const CATALOG: &[TopCategory] = &[
    TopCategory {
        slug: "kitchen",
        name: "Kitchen",
        description: "Tools and tableware for cooking and eating well.",
        motif: Motif::Bowl,
        children: &[
            Subcategory {
                slug: "cookware",
                name: "Cookware",
                nouns: &["Saucepan", "Skillet", "Dutch Oven", "Stockpot", "Sauté Pan"],
                materials: &["Cast Iron", "Copper", "Carbon Steel", "Enamelled"],
                price: (3900, 18900),
                sizes: &[],
            },
            Subcategory {
                slug: "tableware",
                name: "Tableware",
                nouns: &[
                    "Dinner Plate",
                    "Serving Bowl",
                    "Pasta Bowl",
                    "Side Plate",
                    "Platter",
                ],
                materials: &["Stoneware", "Porcelain", "Terracotta", "Glazed"],
                price: (1400, 6900),
                sizes: &[],
            },
            Subcategory {
                slug: "coffee-and-tea",
                name: "Coffee & Tea",
                nouns: &["Teapot", "Pour-Over Set", "Mug", "Tea Caddy", "Milk Jug"],
                materials: &["Ceramic", "Glass", "Stoneware", "Brass"],
                price: (1200, 8900),
                sizes: &[],
            },
        ],
    },
    TopCategory {
        slug: "home",
        name: "Home",
        description: "Textiles, light and storage for calm rooms.",
        motif: Motif::Lamp,
        children: &[
            Subcategory {
                slug: "textiles",
                name: "Textiles",
                nouns: &[
                    "Duvet Cover",
                    "Throw",
                    "Sheet Set",
                    "Cushion Cover",
                    "Quilt",
                ],
                materials: &["Linen", "Wool", "Organic Cotton", "Waffle"],
                price: (2900, 15900),
                sizes: BED_SIZES,
            },
            Subcategory {
                slug: "lighting",
                name: "Lighting",
                nouns: &[
                    "Table Lamp",
                    "Pendant",
                    "Floor Lamp",
                    "Wall Light",
                    "Lantern",
                ],
                materials: &["Opal Glass", "Rattan", "Brushed Brass", "Paper"],
                price: (4900, 24900),
                sizes: &[],
            },
            Subcategory {
                slug: "storage",
                name: "Storage",
                nouns: &["Basket", "Storage Box", "Shelf", "Coat Rack", "Crate"],
                materials: &["Seagrass", "Oak", "Birch", "Felt"],
                price: (1900, 12900),
                sizes: &[],
            },
        ],
    },
    TopCategory {
        slug: "clothing",
        name: "Clothing",
        description: "Durable everyday wear, made to be mended.",
        motif: Motif::Garment,
        children: &[
            Subcategory {
                slug: "knitwear",
                name: "Knitwear",
                nouns: &[
                    "Crew Jumper",
                    "Cardigan",
                    "Roll Neck",
                    "Knitted Vest",
                    "Beanie",
                ],
                materials: &["Merino", "Lambswool", "Cashmere", "Alpaca"],
                price: (3900, 19900),
                sizes: CLOTHING_SIZES,
            },
            Subcategory {
                slug: "outerwear",
                name: "Outerwear",
                nouns: &["Rain Jacket", "Chore Coat", "Parka", "Gilet", "Overshirt"],
                materials: &["Waxed Cotton", "Ripstop", "Wool", "Canvas"],
                price: (7900, 29900),
                sizes: CLOTHING_SIZES,
            },
            Subcategory {
                slug: "accessories",
                name: "Accessories",
                nouns: &["Scarf", "Belt", "Tote Bag", "Gloves", "Cap"],
                materials: &["Leather", "Wool", "Canvas", "Linen"],
                price: (1900, 8900),
                sizes: &[],
            },
        ],
    },
    TopCategory {
        slug: "outdoors",
        name: "Outdoors",
        description: "Kit for weekends outside.",
        motif: Motif::Mountain,
        children: &[
            Subcategory {
                slug: "camping",
                name: "Camping",
                nouns: &[
                    "Camp Stove",
                    "Enamel Mug",
                    "Lantern",
                    "Sleeping Mat",
                    "Camp Chair",
                ],
                materials: &["Titanium", "Aluminium", "Enamel", "Canvas"],
                price: (1500, 14900),
                sizes: &[],
            },
            Subcategory {
                slug: "hiking",
                name: "Hiking",
                nouns: &[
                    "Daypack",
                    "Water Bottle",
                    "Trekking Poles",
                    "Map Case",
                    "Flask",
                ],
                materials: &["Recycled Nylon", "Stainless Steel", "Carbon", "Cordura"],
                price: (1900, 12900),
                sizes: &[],
            },
        ],
    },
    TopCategory {
        slug: "stationery",
        name: "Stationery",
        description: "Paper and pens for thinking on.",
        motif: Motif::Notebook,
        children: &[
            Subcategory {
                slug: "notebooks",
                name: "Notebooks",
                nouns: &[
                    "Notebook",
                    "Sketchbook",
                    "Journal",
                    "Planner",
                    "Field Notes",
                ],
                materials: &["Dot Grid", "Lined", "Plain", "Kraft"],
                price: (600, 3400),
                sizes: &[],
            },
            Subcategory {
                slug: "writing",
                name: "Writing",
                nouns: &[
                    "Fountain Pen",
                    "Pencil Set",
                    "Ink Bottle",
                    "Rollerball",
                    "Brush Pen",
                ],
                materials: &["Brass", "Cedar", "Aluminium", "Resin"],
                price: (800, 12900),
                sizes: &[],
            },
            Subcategory {
                slug: "desk",
                name: "Desk",
                nouns: &[
                    "Desk Tray",
                    "Pen Pot",
                    "Letter Rack",
                    "Desk Lamp",
                    "Bookends",
                ],
                materials: &["Walnut", "Steel", "Cork", "Marble"],
                price: (1500, 9900),
                sizes: &[],
            },
        ],
    },
    TopCategory {
        slug: "wellness",
        name: "Wellness",
        description: "Small rituals for rest.",
        motif: Motif::Candle,
        children: &[
            Subcategory {
                slug: "bath",
                name: "Bath",
                nouns: &[
                    "Bath Towel",
                    "Soap Bar",
                    "Bath Salts",
                    "Body Brush",
                    "Bath Mat",
                ],
                materials: &["Turkish Cotton", "Olive Oil", "Sea Salt", "Sisal"],
                price: (700, 5900),
                sizes: &[],
            },
            Subcategory {
                slug: "scents",
                name: "Scents",
                nouns: &[
                    "Candle",
                    "Diffuser",
                    "Incense Set",
                    "Room Spray",
                    "Wax Melts",
                ],
                materials: &["Cedarwood", "Fig", "Vetiver", "Bergamot"],
                price: (1200, 6900),
                sizes: &[],
            },
        ],
    },
];

const ADJECTIVES: &[&str] = &[
    "Classic", "Field", "Harbour", "Nordic", "Studio", "Heritage", "Everyday", "Atelier", "Meadow",
    "Coastal",
];

const IMAGE_SIZE: i32 = 800;

/// Loads the demo catalog and a manager account when the database has no products and no users.
/// Returns the manager's credentials when it loaded anything.
pub async fn load_if_empty(
    db: &Db,
    media_dir: &Path,
    settings: &Settings,
) -> Result<Option<DemoCredentials>, DemoError> {
    let empty: bool = crate::on_db!(db, pool => sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM products) AND NOT EXISTS (SELECT 1 FROM users)"
    )
    .fetch_one(pool)
    .await)?;
    if !empty {
        return Ok(None);
    }
    let password = password::generate(16);
    let password_hash = password::hash(password.clone()).await?;
    let currency = settings.shop.currency;

    let mut tx = db.begin().await?;
    let subcategories = insert_categories(&mut tx).await?;
    let now = db.now();
    let mut products = 0;
    for (sub_index, (category_id, top, sub)) in subcategories.iter().enumerate() {
        for (noun_index, noun) in sub.nouns.iter().enumerate() {
            let serial = sub_index * 5 + noun_index;
            let name = format!(
                "{} {} {}",
                ADJECTIVES[serial % ADJECTIVES.len()],
                sub.materials[noun_index % sub.materials.len()],
                noun
            );
            let slug = slugify(&name);
            let images = write_product_images(media_dir, &slug, &name, top.motif)?;
            let product = demo_product(DemoProduct {
                serial,
                name,
                slug,
                category_id: *category_id,
                sub,
                images,
                currency,
                now,
            });
            catalog::insert_product(&mut tx, &product)
                .await?
                .ok_or_else(|| DemoError::NoVariants(product.slug.clone()))?;
            products += 1;
        }
    }
    accounts::insert_verified_user(
        &mut tx,
        MANAGER_EMAIL,
        "Demo Manager",
        &password_hash,
        Role::Manager,
    )
    .await?
    .ok_or(DemoError::ManagerTaken(MANAGER_EMAIL))?;
    tx.commit().await?;
    Ok(Some(DemoCredentials {
        email: MANAGER_EMAIL.into(),
        password,
        products,
    }))
}

/// Adds `count` products spread over the demo categories (creating them if the shop has none), in
/// batches of one transaction each, sharing a small pool of images. For benchmarks.
pub async fn generate_catalog(
    db: &Db,
    media_dir: &Path,
    settings: &Settings,
    count: usize,
) -> Result<usize, DemoError> {
    const BATCH: usize = 500;
    const IMAGE_POOL: usize = 48;
    let existing: i64 = catalog::count_products(db).await?;
    let has_categories: bool = crate::on_db!(db, pool => sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM categories)").fetch_one(pool).await)?;
    let mut tx = db.begin().await?;
    let subcategories = if has_categories {
        find_categories(&mut tx).await?
    } else {
        insert_categories(&mut tx).await?
    };
    tx.commit().await?;
    let pool: Vec<NewImage> = (0..IMAGE_POOL)
        .map(|i| {
            let (_, top, _) = &subcategories[i % subcategories.len()];
            write_svg(
                media_dir,
                &format!("pool-{i}"),
                &format!("Product {i}"),
                top.motif,
                i as u64,
                0,
            )
        })
        .collect::<Result<_, _>>()?;
    let now = db.now();
    let mut made = 0;
    while made < count {
        let mut tx = db.begin().await?;
        for _ in 0..BATCH.min(count - made) {
            let serial = usize::try_from(existing).unwrap_or(0) + made;
            let (category_id, _, sub) = &subcategories[serial % subcategories.len()];
            let noun = sub.nouns[(serial / subcategories.len()) % sub.nouns.len()];
            let material = sub.materials[(serial / 7) % sub.materials.len()];
            let name = format!(
                "{} {material} {noun} {serial}",
                ADJECTIVES[serial % ADJECTIVES.len()]
            );
            let slug = slugify(&name);
            let image = &pool[serial % IMAGE_POOL];
            let images = vec![NewImage {
                path: image.path.clone(),
                alt: name.clone(),
                width: image.width,
                height: image.height,
            }];
            let product = demo_product(DemoProduct {
                serial,
                name,
                slug,
                category_id: *category_id,
                sub,
                images,
                currency: settings.shop.currency,
                now: now - Duration::seconds(i64::try_from(count - made).unwrap_or(0)),
            });
            catalog::insert_product(&mut tx, &product)
                .await?
                .ok_or_else(|| DemoError::NoVariants(product.slug.clone()))?;
            made += 1;
        }
        tx.commit().await?;
    }
    Ok(made)
}

struct DemoProduct<'a> {
    serial: usize,
    name: String,
    slug: String,
    category_id: i64,
    sub: &'a Subcategory,
    images: Vec<NewImage>,
    currency: Currency,
    now: chrono::DateTime<Utc>,
}

fn demo_product(p: DemoProduct<'_>) -> NewProduct {
    let spread = |seed: usize, modulo: i64| {
        i64::try_from(seed).unwrap_or(0).wrapping_mul(2_654_435_761) % modulo
    };
    let (low, high) = p.sub.price;
    // Prices end in 00 or 50 (e.g. 49.00, 49.50), like a shop's.
    let base = low + (spread(p.serial, high - low + 1) / 50) * 50;
    let stock = |seed: usize| -> i32 {
        match seed % 13 {
            0 => 0,
            1 | 2 => i32::try_from(1 + seed % 4).unwrap_or(1),
            _ => i32::try_from(8 + spread(seed, 90)).unwrap_or(8),
        }
    };
    let sku_stem: String = p
        .slug
        .split('-')
        .filter_map(|w| w.chars().next())
        .collect::<String>()
        .to_uppercase();
    let variants = if p.sub.sizes.is_empty() {
        vec![NewVariant {
            sku: format!("{sku_stem}-{:05}", p.serial),
            title: "Default".into(),
            option1: None,
            price: Money::new(base, p.currency),
            on_hand: stock(p.serial),
            low_stock_threshold: 5,
        }]
    } else {
        p.sub
            .sizes
            .iter()
            .enumerate()
            .map(|(i, size)| NewVariant {
                sku: format!("{sku_stem}-{:05}-{}", p.serial, size.to_uppercase()),
                title: (*size).into(),
                option1: Some((*size).into()),
                // Larger sizes cost a little more, as bedding does.
                price: Money::new(
                    base + i64::try_from(i).unwrap_or(0)
                        * if p.sub.sizes == BED_SIZES { 2000 } else { 0 },
                    p.currency,
                ),
                on_hand: stock(p.serial + i * 5),
                low_stock_threshold: 3,
            })
            .collect()
    };
    let description = format!(
        "The {name} is made from {material} and built to last for years of daily use. {detail} \
         Each one is checked by hand before it leaves our workshop, and it comes with our two-year guarantee.",
        name = p.name,
        material = p.sub.materials[p.serial % p.sub.materials.len()].to_lowercase(),
        detail = match p.serial % 3 {
            0 => "Its simple lines suit a modern home as easily as an old one.",
            1 =>
                "Small details, like reinforced edges and a generous size, make it a pleasure to use.",
            _ => "It is sourced from makers we know by name and ages beautifully with use.",
        },
    );
    NewProduct {
        slug: p.slug,
        name: p.name,
        description,
        category_id: p.category_id,
        featured: p.serial.is_multiple_of(5),
        option1_name: (!p.sub.sizes.is_empty()).then(|| "Size".to_owned()),
        // Spread over the last four months, categories interleaved (37 is coprime with 80).
        created_at: p.now - Duration::hours(36 * i64::try_from((p.serial * 37) % 80).unwrap_or(0)),
        variants,
        images: p.images,
    }
}

async fn insert_categories(
    tx: &mut Tx,
) -> Result<Vec<(i64, &'static TopCategory, &'static Subcategory)>, sqlx::Error> {
    let mut subcategories = Vec::new();
    for (top_position, top) in CATALOG.iter().enumerate() {
        let top_id = catalog::insert_category(
            tx,
            &NewCategory {
                parent_id: None,
                slug: top.slug,
                name: top.name,
                description: top.description,
                position: position(top_position),
            },
        )
        .await?;
        for (sub_position, sub) in top.children.iter().enumerate() {
            let description = format!("{} from our {} range.", sub.name, top.name.to_lowercase());
            let id = catalog::insert_category(
                tx,
                &NewCategory {
                    parent_id: Some(top_id),
                    slug: sub.slug,
                    name: sub.name,
                    description: &description,
                    position: position(sub_position),
                },
            )
            .await?;
            subcategories.push((id, top, sub));
        }
    }
    Ok(subcategories)
}

/// The demo subcategories as they already exist in the database.
async fn find_categories(
    tx: &mut Tx,
) -> Result<Vec<(i64, &'static TopCategory, &'static Subcategory)>, DemoError> {
    let rows: Vec<(i64, String)> = crate::in_tx!(tx, conn => sqlx::query_as("SELECT id, slug FROM categories WHERE parent_id IS NOT NULL").fetch_all(conn).await)?;
    let found: Vec<_> = CATALOG
        .iter()
        .flat_map(|top| top.children.iter().map(move |sub| (top, sub)))
        .filter_map(|(top, sub)| {
            rows.iter()
                .find(|(_, slug)| slug == sub.slug)
                .map(|(id, _)| (*id, top, sub))
        })
        .collect();
    match found.is_empty() {
        true => Err(DemoError::NoDemoCategories),
        false => Ok(found),
    }
}

fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            'é' | 'è' | 'ê' => 'e',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn write_product_images(
    media_dir: &Path,
    slug: &str,
    name: &str,
    motif: Motif,
) -> Result<Vec<NewImage>, std::io::Error> {
    let seed = slug.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..3)
        .map(|view| {
            write_svg(
                media_dir,
                &format!("{slug}-{}", view + 1),
                name,
                motif,
                seed,
                view,
            )
        })
        .collect()
}

/// Writes one illustration: a colour field from the seed, the category's motif, the product's name.
/// View 0 is the whole object, 1 a close-up, 2 the object on a contrasting ground.
fn write_svg(
    media_dir: &Path,
    stem: &str,
    name: &str,
    motif: Motif,
    seed: u64,
    view: u8,
) -> Result<NewImage, std::io::Error> {
    let hue = seed % 360;
    let (ground, ink) = match view {
        2 => (
            format!("hsl({} 35% 28%)", (hue + 180) % 360),
            format!("hsl({hue} 70% 80%)"),
        ),
        _ => (format!("hsl({hue} 45% 88%)"), format!("hsl({hue} 55% 35%)")),
    };
    let scale = if view == 1 {
        "translate(400 420) scale(1.6) translate(-400 -420)"
    } else {
        ""
    };
    let shape = match motif {
        Motif::Bowl => format!(
            r#"<ellipse cx="400" cy="360" rx="230" ry="50" fill="{ink}"/><path d="M170 360 Q400 700 630 360 Z" fill="{ink}" opacity="0.85"/>"#
        ),
        Motif::Lamp => format!(
            r#"<path d="M290 200 L510 200 L580 380 L220 380 Z" fill="{ink}"/><rect x="388" y="380" width="24" height="220" fill="{ink}"/><rect x="300" y="600" width="200" height="24" rx="12" fill="{ink}"/>"#
        ),
        Motif::Garment => format!(
            r#"<path d="M300 180 L360 160 Q400 210 440 160 L500 180 L620 290 L560 350 L520 310 L520 620 L280 620 L280 310 L240 350 L180 290 Z" fill="{ink}"/>"#
        ),
        Motif::Mountain => format!(
            r#"<circle cx="560" cy="230" r="60" fill="{ink}" opacity="0.6"/><path d="M120 620 L330 280 L440 440 L520 340 L680 620 Z" fill="{ink}"/>"#
        ),
        Motif::Notebook => format!(
            r#"<rect x="250" y="170" width="300" height="440" rx="18" fill="{ink}"/><rect x="290" y="220" width="220" height="10" fill="{ground}"/><rect x="290" y="260" width="180" height="10" fill="{ground}"/><rect x="250" y="170" width="30" height="440" fill="{ground}" opacity="0.3"/>"#
        ),
        Motif::Candle => format!(
            r#"<rect x="300" y="320" width="200" height="300" rx="14" fill="{ink}"/><path d="M400 190 Q450 260 400 300 Q350 260 400 190 Z" fill="{ink}" opacity="0.7"/>"#
        ),
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{IMAGE_SIZE}" height="{IMAGE_SIZE}" viewBox="0 0 800 800" role="img"><title>{title}</title><rect width="800" height="800" fill="{ground}"/><g transform="{scale}">{shape}</g><text x="400" y="730" text-anchor="middle" font-family="Georgia, serif" font-size="34" fill="{ink}">{title}</text></svg>"#,
        title = xml_escape(name),
    );
    let dir = media_dir.join("products");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{stem}.svg")), svg)?;
    let alt = match view {
        0 => name.to_owned(),
        1 => format!("{name}, close-up"),
        _ => format!("{name} on a dark background"),
    };
    Ok(NewImage {
        path: format!("products/{stem}.svg"),
        alt,
        width: IMAGE_SIZE,
        height: IMAGE_SIZE,
    })
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slugify("Classic Cast Iron Sauté Pan"),
            "classic-cast-iron-saute-pan"
        );
        assert_eq!(slugify("  Coffee & Tea!! "), "coffee-tea");
    }

    #[test]
    fn the_demo_catalog_is_big_enough_and_unique() {
        let names: std::collections::HashSet<String> = CATALOG
            .iter()
            .flat_map(|top| top.children.iter())
            .enumerate()
            .flat_map(|(sub_index, sub)| {
                sub.nouns.iter().enumerate().map(move |(i, noun)| {
                    let serial = sub_index * 5 + i;
                    slugify(&format!(
                        "{} {} {}",
                        ADJECTIVES[serial % ADJECTIVES.len()],
                        sub.materials[i % sub.materials.len()],
                        noun
                    ))
                })
            })
            .collect();
        assert!(names.len() >= 60, "only {} distinct products", names.len());
    }
}
