//! Products, customers and countries the generator draws from.

use rand::Rng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, LogNormal, Pareto};

const ADJECTIVES: [&str; 16] = [
    "WHITE", "RED", "BLUE", "PINK", "GREEN", "VINTAGE", "RETRO", "SET OF 3", "JUMBO", "PAPER",
    "GLASS", "WOODEN", "REGENCY", "HANGING", "KNITTED", "SPOTTY",
];
const THEMES: [&str; 12] = [
    "HEART",
    "CHRISTMAS",
    "FLORAL",
    "POLKADOT",
    "UNION FLAG",
    "LOVEBIRD",
    "PAISLEY",
    "STAR",
    "BIRD",
    "SKULL",
    "DOILY",
    "STRAWBERRY",
];
const NOUNS: [&str; 20] = [
    "T-LIGHT HOLDER",
    "LANTERN",
    "BAG",
    "MUG",
    "CAKE STAND",
    "TEACUP",
    "COAT HANGER",
    "HOT WATER BOTTLE",
    "ALARM CLOCK",
    "LUNCH BOX",
    "DOORMAT",
    "CUSHION COVER",
    "NAPKINS",
    "BUNTING",
    "CANDLE",
    "JAR",
    "NOTEBOOK",
    "PURSE",
    "TIN",
    "GIFT WRAP",
];

/// A product of the catalogue.
#[derive(Debug, Clone)]
pub struct Product {
    pub stock_code: String,
    pub description: String,
    pub price: f64,
    pub weight: f64,
}

/// Non-product lines the real log carries, with their usual prices. The last two
/// have product-like codes, so only their description marks them as services.
pub const SERVICES: [(&str, &str, f64); 8] = [
    ("POST", "POSTAGE", 18.0),
    ("D", "Discount", 10.0),
    ("M", "Manual", 2.5),
    ("C2", "CARRIAGE", 50.0),
    ("DOT", "DOTCOM POSTAGE", 120.0),
    ("BANK CHARGES", "Bank Charges", 15.0),
    ("23444", "Next Day Carriage", 15.0),
    ("21785", "High Resolution Image", 3.0),
];

/// Countries and their share of customers: the United Kingdom dominates.
pub const COUNTRIES: [(&str, f64); 12] = [
    ("United Kingdom", 0.90),
    ("Germany", 0.022),
    ("France", 0.020),
    ("EIRE", 0.008),
    ("Spain", 0.007),
    ("Belgium", 0.006),
    ("Switzerland", 0.005),
    ("Portugal", 0.005),
    ("Netherlands", 0.005),
    ("Italy", 0.004),
    ("Australia", 0.004),
    ("Norway", 0.014),
];

/// `count` products with lognormal prices and Zipf-like popularity.
pub fn products(rng: &mut SmallRng, count: usize) -> Vec<Product> {
    let prices = LogNormal::new(0.9, 0.8).unwrap_or_else(|_| unreachable!("valid parameters"));
    (0..count)
        .map(|index| {
            let number = 20_000 + index * 17 % 70_000 + index / 4_000;
            let suffix = if rng.random_bool(0.3) {
                char::from(b'A' + rng.random_range(0..8u8)).to_string()
            } else {
                String::new()
            };
            let description = format!(
                "{} {} {}",
                ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
                THEMES[rng.random_range(0..THEMES.len())],
                NOUNS[rng.random_range(0..NOUNS.len())]
            );
            let price: f64 = prices.sample(rng);
            Product {
                stock_code: format!("{number}{suffix}"),
                description,
                price: (price.clamp(0.1, 300.0) * 100.0).round() / 100.0,
                weight: 1.0 / (index as f64 + 10.0),
            }
        })
        .collect()
}

/// A customer: id, country and how often they buy (heavy-tailed).
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub country: &'static str,
    pub activity: f64,
    pub basket_scale: f64,
}

/// `count` customers with Pareto-distributed activity and basket sizes.
pub fn customers(rng: &mut SmallRng, count: usize) -> Vec<Customer> {
    let activity = Pareto::new(1.0, 1.3).unwrap_or_else(|_| unreachable!("valid parameters"));
    let basket = LogNormal::new(0.0, 0.6).unwrap_or_else(|_| unreachable!("valid parameters"));
    (0..count)
        .map(|index| {
            let roll: f64 = rng.random();
            let mut cumulative = 0.0;
            let mut country = COUNTRIES[0].0;
            for (name, share) in COUNTRIES {
                cumulative += share;
                if roll < cumulative {
                    country = name;
                    break;
                }
            }
            let activity: f64 = activity.sample(rng);
            Customer {
                id: 12_346 + index as i64,
                country,
                activity: activity.min(500.0),
                basket_scale: basket.sample(rng),
            }
        })
        .collect()
}

/// Cumulative weights for sampling by binary search.
pub struct WeightedIndex {
    cumulative: Vec<f64>,
}

impl WeightedIndex {
    pub fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .map(|weight| {
                total += weight;
                total
            })
            .collect();
        Self { cumulative }
    }

    pub fn sample(&self, rng: &mut SmallRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|value| *value <= target)
            .min(self.cumulative.len().saturating_sub(1))
    }
}
