//! The invoice-by-invoice generator.

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Weekday};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};

use crate::catalogue::{self, Customer, Product, SERVICES, WeightedIndex};
use crate::error::{Error, Result};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// Rows to write.
    pub rows: u64,
    /// Customers (default: about one per 120 rows, at least 50).
    pub customers: Option<u64>,
    /// Random seed; the same seed gives the same log.
    pub seed: u64,
    /// First day of the log.
    pub start: NaiveDate,
    /// Days the log spans.
    pub days: u32,
    /// Share of invoices without CustomerID (guest checkouts).
    pub guest_share: f64,
}

impl Default for DemoSpec {
    fn default() -> Self {
        Self {
            rows: 500_000,
            customers: None,
            seed: 7,
            start: NaiveDate::from_ymd_opt(2010, 12, 1).unwrap_or_default(),
            days: 374,
            guest_share: 0.25,
        }
    }
}

impl DemoSpec {
    /// Customers to draw, resolved.
    pub fn customer_count(&self) -> u64 {
        self.customers.unwrap_or((self.rows / 120).max(50))
    }

    fn check(&self) -> Result<()> {
        if self.rows == 0 {
            return Err(Error::Spec("`rows` must be at least 1".to_owned()));
        }
        if self.customer_count() == 0 {
            return Err(Error::Spec("`customers` must be at least 1".to_owned()));
        }
        if self.days == 0 {
            return Err(Error::Spec("`days` must be at least 1".to_owned()));
        }
        if !(0.0..1.0).contains(&self.guest_share) {
            return Err(Error::Spec(format!(
                "`guest_share` must be in [0, 1), got {}",
                self.guest_share
            )));
        }
        Ok(())
    }
}

/// One generated line, in the raw schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// InvoiceNo (a `C` prefix marks a cancellation).
    pub invoice_no: String,
    /// StockCode.
    pub stock_code: String,
    /// Description (missing on a few lines, as in the real log).
    pub description: Option<String>,
    /// Quantity (negative on cancellations).
    pub quantity: i64,
    /// InvoiceDate.
    pub invoice_date: NaiveDateTime,
    /// UnitPrice.
    pub unit_price: f64,
    /// CustomerID (missing for guests).
    pub customer_id: Option<i64>,
    /// Country.
    pub country: &'static str,
}

const PACK_SIZES: [i64; 10] = [1, 2, 3, 4, 6, 8, 10, 12, 24, 48];
const PACK_WEIGHTS: [f64; 10] = [14.0, 8.0, 4.0, 5.0, 9.0, 3.0, 3.0, 10.0, 4.0, 1.0];
/// Relative trading per hour from 07:00 to 20:00, peaking at midday.
const HOUR_WEIGHTS: [f64; 14] = [
    0.2, 1.5, 4.0, 6.5, 7.5, 9.5, 8.0, 7.0, 5.5, 3.5, 1.5, 0.4, 0.3, 0.2,
];

/// Streams [`Line`]s invoice by invoice, in time order.
pub struct Generator {
    spec: DemoSpec,
    rng: SmallRng,
    products: Vec<Product>,
    product_index: WeightedIndex,
    customers: Vec<Customer>,
    customer_index: WeightedIndex,
    pack_index: WeightedIndex,
    day_cumulative: Vec<f64>,
    hour_cumulative: Vec<f64>,
    next_invoice: u64,
    emitted: u64,
    pending: VecDeque<Line>,
}

impl Generator {
    /// A generator for `spec`.
    pub fn new(spec: &DemoSpec) -> Result<Self> {
        spec.check()?;
        let mut rng = SmallRng::seed_from_u64(spec.seed);
        let product_count = ((spec.rows / 150).clamp(200, 4_000)) as usize;
        let products = catalogue::products(&mut rng, product_count);
        let product_index = WeightedIndex::new(products.iter().map(|product| product.weight));
        let customers = catalogue::customers(&mut rng, spec.customer_count() as usize);
        let customer_index = WeightedIndex::new(customers.iter().map(|customer| customer.activity));
        let pack_index = WeightedIndex::new(PACK_WEIGHTS.iter().copied());
        let day_cumulative = cumulative((0..spec.days).map(|offset| {
            let date = spec.start + TimeDelta::days(i64::from(offset));
            if date.weekday() == Weekday::Sat {
                0.0
            } else {
                // trading builds from late summer to a November peak
                let month = f64::from(date.month());
                1.0 + 1.6 * (-((month - 11.0) * (month - 11.0)) / 4.0).exp()
            }
        }));
        let hour_cumulative = cumulative(HOUR_WEIGHTS.iter().copied());
        Ok(Self {
            spec: spec.clone(),
            rng,
            products,
            product_index,
            customers,
            customer_index,
            pack_index,
            day_cumulative,
            hour_cumulative,
            next_invoice: 536_365,
            emitted: 0,
            pending: VecDeque::new(),
        })
    }

    /// The timestamp at `fraction` (0..1) of the log: days and hours follow their weights.
    fn moment(&self, fraction: f64) -> NaiveDateTime {
        let day = self
            .day_cumulative
            .partition_point(|value| *value <= fraction)
            .min(self.day_cumulative.len() - 1);
        let day_start = if day == 0 {
            0.0
        } else {
            self.day_cumulative[day - 1]
        };
        let width = (self.day_cumulative[day] - day_start).max(f64::MIN_POSITIVE);
        let within = ((fraction - day_start) / width).clamp(0.0, 0.999_999);
        let hour = self
            .hour_cumulative
            .partition_point(|value| *value <= within)
            .min(HOUR_WEIGHTS.len() - 1);
        let hour_start = if hour == 0 {
            0.0
        } else {
            self.hour_cumulative[hour - 1]
        };
        let hour_width = (self.hour_cumulative[hour] - hour_start).max(f64::MIN_POSITIVE);
        let minute = (((within - hour_start) / hour_width) * 60.0).clamp(0.0, 59.0) as i64;
        let date = self.spec.start + TimeDelta::days(day as i64);
        date.and_hms_opt(0, 0, 0).unwrap_or_default()
            + TimeDelta::hours(7 + hour as i64)
            + TimeDelta::minutes(minute)
    }

    fn invoice(&mut self) {
        let moment = self.moment(self.emitted as f64 / self.spec.rows as f64);
        let number = self.next_invoice;
        self.next_invoice += 1;
        let guest = self.rng.random_bool(self.spec.guest_share);
        let customer = self.customers[self.customer_index.sample(&mut self.rng)].clone();
        let mean_lines = if guest {
            30.0
        } else {
            16.0 * customer.basket_scale
        };
        let lines = Poisson::new(mean_lines.clamp(1.0, 250.0))
            .map(|poisson| poisson.sample(&mut self.rng) as usize)
            .unwrap_or(1)
            .max(1);
        let invoice_no = number.to_string();
        let mut invoice_lines = Vec::with_capacity(lines);
        for _ in 0..lines {
            let product = &self.products[self.product_index.sample(&mut self.rng)];
            let mut quantity = PACK_SIZES[self.pack_index.sample(&mut self.rng)];
            if !guest && self.rng.random_bool(0.01) {
                quantity *= self.rng.random_range(10..200); // a wholesale order
            }
            let mut line = Line {
                invoice_no: invoice_no.clone(),
                stock_code: product.stock_code.clone(),
                description: Some(product.description.clone()),
                quantity,
                invoice_date: moment,
                unit_price: if guest {
                    (product.price * 1.6 * 100.0).round() / 100.0
                } else {
                    product.price
                },
                customer_id: (!guest).then_some(customer.id),
                country: customer.country,
            };
            let roll: f64 = self.rng.random();
            if roll < 0.002 {
                line.unit_price = 0.0; // free sample or data-entry slip
            } else if roll < 0.004 {
                // damaged-stock adjustments: no description, no customer, no price
                line.description = None;
                line.customer_id = None;
                line.unit_price = 0.0;
            }
            invoice_lines.push(line);
        }
        if self.rng.random_bool(0.12) {
            let (code, description, price) = SERVICES[self.rng.random_range(0..SERVICES.len())];
            invoice_lines.push(Line {
                invoice_no: invoice_no.clone(),
                stock_code: code.to_owned(),
                description: Some(description.to_owned()),
                quantity: 1,
                invoice_date: moment,
                unit_price: price,
                customer_id: (!guest).then_some(customer.id),
                country: customer.country,
            });
        }
        let cancelled: Vec<Line> = if !guest && self.rng.random_bool(0.22) {
            let count = self.rng.random_range(1..=invoice_lines.len().min(4));
            let cancel_no = format!("C{}", self.next_invoice);
            self.next_invoice += 1;
            // the same day: the real log has no Saturday trading to cross into
            let minutes_left = 24 * 60 - 1 - i64::from(moment.hour() * 60 + moment.minute());
            let later =
                moment + TimeDelta::minutes(self.rng.random_range(5..600).min(minutes_left));
            invoice_lines
                .iter()
                .take(count)
                .filter(|line| line.customer_id.is_some())
                .map(|line| Line {
                    invoice_no: cancel_no.clone(),
                    quantity: -line.quantity.abs(),
                    invoice_date: later,
                    ..line.clone()
                })
                .collect()
        } else {
            Vec::new()
        };
        for line in invoice_lines {
            if self.rng.random_bool(0.01) {
                self.pending.push_back(line.clone()); // an exact duplicate, as exports produce
            }
            self.pending.push_back(line);
        }
        self.pending.extend(cancelled);
    }
}

impl Iterator for Generator {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        if self.emitted >= self.spec.rows {
            return None;
        }
        while self.pending.is_empty() {
            self.invoice();
        }
        self.emitted += 1;
        self.pending.pop_front()
    }
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let raw: Vec<f64> = weights.collect();
    let total: f64 = raw.iter().sum();
    let mut running = 0.0;
    raw.iter()
        .map(|weight| {
            running += weight / total;
            running
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rows: u64) -> DemoSpec {
        DemoSpec {
            rows,
            ..DemoSpec::default()
        }
    }

    #[test]
    fn same_seed_same_lines() {
        let first: Vec<Line> = Generator::new(&spec(5_000)).unwrap().collect();
        let second: Vec<Line> = Generator::new(&spec(5_000)).unwrap().collect();
        assert_eq!(first, second);
        assert_eq!(first.len(), 5_000);
        let other: Vec<Line> = Generator::new(&DemoSpec {
            seed: 8,
            ..spec(5_000)
        })
        .unwrap()
        .collect();
        assert_ne!(first, other);
    }

    #[test]
    fn shares_look_like_the_real_log() {
        let lines: Vec<Line> = Generator::new(&spec(200_000)).unwrap().collect();
        let share = |predicate: &dyn Fn(&Line) -> bool| {
            lines.iter().filter(|line| predicate(line)).count() as f64 / lines.len() as f64
        };
        let guests = share(&|line| line.customer_id.is_none());
        let cancellations = share(&|line| line.invoice_no.starts_with('C'));
        let uk = share(&|line| line.country == "United Kingdom");
        let zero = share(&|line| line.unit_price == 0.0);
        assert!((0.18..0.36).contains(&guests), "guest share {guests}");
        assert!(
            (0.01..0.035).contains(&cancellations),
            "cancellation share {cancellations}"
        );
        assert!(uk > 0.75, "UK share {uk}");
        assert!(zero > 0.001 && zero < 0.01, "zero-price share {zero}");
        assert!(
            lines
                .iter()
                .all(|line| line.invoice_date.weekday() != Weekday::Sat)
        );
        assert!(
            lines.windows(2).filter(|pair| pair[0] == pair[1]).count() > 100,
            "duplicates expected"
        );
        let november = share(&|line| line.invoice_date.month() == 11);
        let february = share(&|line| line.invoice_date.month() == 2);
        assert!(
            november > 1.5 * february,
            "november {november} february {february}"
        );
    }

    #[test]
    fn zero_rows_is_rejected() {
        assert!(matches!(Generator::new(&spec(0)), Err(Error::Spec(_))));
    }
}
