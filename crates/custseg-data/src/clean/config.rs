//! The `[clean]` section of `custseg.toml`.

use serde::{Deserialize, Serialize};

use super::duplicates::Duplicates;
use super::invalid_price::InvalidPrice;
use super::missing_values::MissingValues;
use super::rule::CleaningRule;
use super::service_description::ServiceDescription;
use super::stock_code::NonProductStockCode;
use crate::error::{Error, Result};

/// Which cleaning steps run and how. Steps run in this order:
/// missing values, duplicates, (transaction status: flags, drops nothing),
/// non-product stock codes, service descriptions, invalid prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanConfig {
    /// Drop rows without CustomerID or Description. Default: true.
    pub missing_values: bool,
    /// Drop exact duplicates over the eight raw columns. Default: true.
    pub duplicates: bool,
    /// InvoiceNo prefix that marks a cancellation. Default: `C`.
    pub cancellation_prefix: String,
    /// Non-product stock codes.
    pub stock_code: StockCodeConfig,
    /// Service descriptions.
    pub service_descriptions: ServiceDescriptionConfig,
    /// Drop lines with UnitPrice <= 0. Default: true.
    pub invalid_price: bool,
}

/// `[clean.stock_code]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StockCodeConfig {
    /// Run this step. Default: true.
    pub enabled: bool,
    /// A code with fewer digits than this is not a product. Default: 2.
    pub min_digits: usize,
    /// Further codes to drop (case-insensitive). Default: none.
    pub extra_codes: Vec<String>,
    /// Further regular expressions to drop. Default: none.
    pub extra_patterns: Vec<String>,
}

/// `[clean.service_descriptions]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceDescriptionConfig {
    /// Run this step. Default: true.
    pub enabled: bool,
    /// Descriptions that are services (case-insensitive, trimmed). Default: Next Day
    /// Carriage, High Resolution Image, POSTAGE, Manual, Discount, Adjust bad debt.
    pub descriptions: Vec<String>,
}

impl Default for CleanConfig {
    fn default() -> Self {
        Self {
            missing_values: true,
            duplicates: true,
            cancellation_prefix: "C".to_owned(),
            stock_code: StockCodeConfig::default(),
            service_descriptions: ServiceDescriptionConfig::default(),
            invalid_price: true,
        }
    }
}

impl Default for StockCodeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_digits: 2,
            extra_codes: Vec::new(),
            extra_patterns: Vec::new(),
        }
    }
}

impl Default for ServiceDescriptionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            descriptions: [
                "Next Day Carriage",
                "High Resolution Image",
                "POSTAGE",
                "Manual",
                "Discount",
                "Adjust bad debt",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl CleanConfig {
    /// Checks the settings and builds the rules, in order.
    pub fn build(&self) -> Result<Vec<Box<dyn CleaningRule>>> {
        if self.cancellation_prefix.is_empty() {
            return Err(Error::Config(
                "`clean.cancellation_prefix` must not be empty".to_owned(),
            ));
        }
        for pattern in &self.stock_code.extra_patterns {
            if pattern.is_empty() {
                return Err(Error::Config(
                    "`clean.stock_code.extra_patterns` has an empty pattern".to_owned(),
                ));
            }
        }
        let mut rules: Vec<Box<dyn CleaningRule>> = Vec::new();
        if self.missing_values {
            rules.push(Box::new(MissingValues));
        }
        if self.duplicates {
            rules.push(Box::new(Duplicates));
        }
        if self.stock_code.enabled {
            rules.push(Box::new(NonProductStockCode {
                min_digits: self.stock_code.min_digits,
                extra_codes: self.stock_code.extra_codes.clone(),
                extra_patterns: self.stock_code.extra_patterns.clone(),
            }));
        }
        if self.service_descriptions.enabled {
            rules.push(Box::new(ServiceDescription {
                descriptions: self.service_descriptions.descriptions.clone(),
            }));
        }
        if self.invalid_price {
            rules.push(Box::new(InvalidPrice));
        }
        Ok(rules)
    }
}
