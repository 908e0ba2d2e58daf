use crate::catalog::likes::LikeButton;
use crate::catalog::{Availability, ProductCard};
use leptos::prelude::*;

#[component]
pub fn ProductGrid(products: Vec<ProductCard>) -> impl IntoView {
    view! {
        <ul class="grid grid-cols-2 gap-6 sm:grid-cols-3 lg:grid-cols-4" role="list">
            {products.into_iter().map(|product| view! { <li><ProductCardView product /></li> }).collect_view()}
        </ul>
    }
}

#[component]
pub fn ProductCardView(product: ProductCard) -> impl IntoView {
    let badge = product.availability.label().map(|label| {
        let tone = match product.availability {
            Availability::SoldOut => "bg-stone-200 text-stone-800",
            _ => "bg-amber-100 text-amber-900",
        };
        view! { <span class=format!("rounded px-2 py-0.5 text-xs font-medium {tone}")>{label}</span> }
    });
    let href = product.href();
    view! {
        <article class="group" data-testid="product-card">
            <a href=href class="block rounded-lg focus-visible:outline-2 focus-visible:outline-offset-4">
                <div class="aspect-square overflow-hidden rounded-lg bg-stone-100">
                    {product.image.map(|image| view! {
                        // The link already says the product's name; the picture adds nothing to read out.
                        <img
                            src=image.url
                            srcset=image.srcset
                            sizes="(min-width: 1024px) 18rem, (min-width: 640px) 33vw, 50vw"
                            alt=""
                            width=image.width
                            height=image.height
                            loading="lazy"
                            class="h-full w-full object-cover transition group-hover:scale-105"
                        />
                    })}
                </div>
                <h3 class="mt-3 font-medium text-stone-900">{product.name.clone()}</h3>
            </a>
            <div class="mt-1 flex items-center justify-between gap-2">
                <div class="flex items-center gap-2">
                    <p class="text-stone-800">{product.price.to_string()}</p>
                    {badge}
                </div>
                <LikeButton product_id=product.id name=product.name likes=product.likes size="h-8 w-8 text-lg" />
            </div>
        </article>
    }
}
