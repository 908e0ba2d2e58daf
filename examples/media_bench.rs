//! How fast uploaded images are processed (`server::media::prepare`: recognised, decoded under
//! limits, turned upright and rendered as WebP at each width), against decoding the same file alone,
//! the part no processing can skip. `scripts/bench` runs it; it prints one line per image kind.
//!
//! Usage: `media_bench [RUNS]` (7 by default).

use emporium::server::media::{ImageLimits, prepare};
use image::{DynamicImage, ImageFormat, RgbImage};
use std::time::{Duration, Instant};

/// A picture with the detail of a photograph: gradients under fine noise, which compresses as a
/// photo does (a flat colour would flatter every encoder).
fn photo(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as u8;
        image::Rgb([
            ((x * 255 / width) as u8).saturating_add(noise),
            ((y * 255 / height) as u8).saturating_add(noise),
            (((x + y) * 127 / (width + height)) as u8).saturating_add(noise),
        ])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .expect("encoded");
    bytes
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(7);
    let cases = [
        (
            "JPEG 4000 × 3000 (a phone's photo)",
            photo(4000, 3000, ImageFormat::Jpeg),
        ),
        ("JPEG 1600 × 1200", photo(1600, 1200, ImageFormat::Jpeg)),
        ("PNG 1200 × 900", photo(1200, 900, ImageFormat::Png)),
    ];
    for (name, bytes) in cases {
        let time = |work: &dyn Fn()| {
            median(
                (0..runs)
                    .map(|_| {
                        let start = Instant::now();
                        work();
                        start.elapsed()
                    })
                    .collect(),
            )
        };
        let decode = time(&|| {
            image::load_from_memory(&bytes).expect("decoded");
        });
        let process = time(&|| {
            prepare("bench", bytes.clone(), ImageLimits::default()).expect("prepared");
        });
        // Two uploads at once, as two staff members (or a blocking pool of two) would run them.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(2);
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..runs {
                        prepare("bench", bytes.clone(), ImageLimits::default()).expect("prepared");
                    }
                });
            }
        });
        let parallel = (threads * runs) as f64 / start.elapsed().as_secs_f64();
        println!(
            "  {name}, {} KB: decode alone {:.0} ms, processed {:.0} ms median ({:.1}x decoding); {:.2} images/s on one thread, {parallel:.2} on {threads}",
            bytes.len() / 1024,
            decode.as_secs_f64() * 1000.0,
            process.as_secs_f64() * 1000.0,
            process.as_secs_f64() / decode.as_secs_f64(),
            1.0 / process.as_secs_f64(),
        );
    }
}
