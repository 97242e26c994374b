//! Finding the eight raw columns in an input's header by name.

use std::collections::BTreeMap;

use crate::error::{Error, Result, quoted};
use crate::schema::RawColumn;

/// Names each raw column is known by, normalised (see [`normalise`]).
/// Online Retail II says `Invoice`, `Price` and `Customer ID`; other exports use the rest.
fn aliases(column: RawColumn) -> &'static [&'static str] {
    match column {
        RawColumn::InvoiceNo => &["invoiceno", "invoice", "invoicenumber", "invoiceid"],
        RawColumn::StockCode => &["stockcode", "productcode", "sku"],
        RawColumn::Description => &["description", "productdescription"],
        RawColumn::Quantity => &["quantity", "qty"],
        RawColumn::InvoiceDate => &["invoicedate", "invoicedatetime"],
        RawColumn::UnitPrice => &["unitprice", "price"],
        RawColumn::CustomerId => &["customerid", "customer", "customerno", "customernumber"],
        RawColumn::Country => &["country"],
    }
}

/// Lower-cases a header and drops spaces, underscores, hyphens and dots, so that
/// `Customer ID`, `customer_id` and `CustomerID` compare equal.
pub fn normalise(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which input column feeds each raw column.
#[derive(Debug, Clone)]
pub struct ColumnMapping {
    /// For each raw column (canonical order), the index of the input column.
    pub indices: [usize; 8],
    /// The input's header names, as written.
    pub headers: Vec<String>,
}

impl ColumnMapping {
    /// The input column name feeding `column`.
    pub fn input_name(&self, column: RawColumn) -> &str {
        let position = RawColumn::ALL
            .iter()
            .position(|candidate| *candidate == column)
            .unwrap_or_default();
        &self.headers[self.indices[position]]
    }

    /// Resolves `headers` against the aliases, with `overrides` (input name ->
    /// canonical name) taking precedence. Extra input columns are ignored.
    pub fn resolve(
        file: &str,
        headers: &[String],
        overrides: &BTreeMap<String, String>,
    ) -> Result<ColumnMapping> {
        let mut chosen: [Option<usize>; 8] = [None; 8];
        for (source, target) in overrides {
            let column = canonical_target(target)?;
            let exact: Vec<usize> = matching(headers, |header| header == source);
            let found = if exact.is_empty() {
                matching(headers, |header| normalise(header) == normalise(source))
            } else {
                exact
            };
            let index = match found.as_slice() {
                [index] => *index,
                [] => {
                    return Err(Error::in_file(
                        file,
                        format!(
                            "`--map {source}={target}`: no column `{source}` in the header; found {}",
                            quoted_list(headers)
                        ),
                    ));
                }
                several => {
                    return Err(Error::in_file(
                        file,
                        format!(
                            "`--map {source}={target}`: the header has {} columns named so ({}); rename all but one",
                            several.len(),
                            described(headers, several)
                        ),
                    ));
                }
            };
            chosen[slot(column)] = Some(index);
        }
        for column in RawColumn::ALL {
            if chosen[slot(column)].is_some() {
                continue;
            }
            let taken: Vec<usize> = chosen.iter().flatten().copied().collect();
            let candidates: Vec<usize> = matching(headers, |header| {
                aliases(column).contains(&normalise(header).as_str())
            })
            .into_iter()
            .filter(|index| !taken.contains(index))
            .collect();
            if candidates.len() > 1 {
                // Taking one of them silently could read the wrong data (a customer's name for
                // its id): the user says which.
                return Err(Error::in_file(
                    file,
                    ambiguous(headers, &candidates, column),
                ));
            }
            chosen[slot(column)] = candidates.first().copied();
        }
        let missing: Vec<&str> = RawColumn::ALL
            .iter()
            .filter(|column| chosen[slot(**column)].is_none())
            .map(|column| column.name())
            .collect();
        if !missing.is_empty() {
            return Err(Error::in_file(
                file,
                format!(
                    "missing required column{} {}; found {} (map others with `--map SOURCE=TARGET`)",
                    if missing.len() > 1 { "s" } else { "" },
                    quoted(&missing),
                    quoted_list(headers)
                ),
            ));
        }
        let indices = chosen.map(|index| index.unwrap_or_default());
        Ok(ColumnMapping {
            indices,
            headers: headers.to_vec(),
        })
    }
}

/// The positions of the headers `keep` accepts.
fn matching(headers: &[String], keep: impl Fn(&str) -> bool) -> Vec<usize> {
    (0..headers.len()).filter(|&i| keep(&headers[i])).collect()
}

/// `` `Customer` (column 3), `CustomerID` (column 7) ``, columns counted from 1.
fn described(headers: &[String], indices: &[usize]) -> String {
    indices
        .iter()
        .map(|&i| format!("`{}` (column {})", headers[i], i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for two or more header columns that each name `column`.
fn ambiguous(headers: &[String], candidates: &[usize], column: RawColumn) -> String {
    let first = &headers[candidates[0]];
    if candidates.iter().all(|&i| &headers[i] == first) {
        format!(
            "the header names `{first}` {} times ({}): rename all but one",
            candidates.len(),
            described(headers, candidates)
        )
    } else {
        format!(
            "{} all name the column `{}`; choose one with `--map \"{first}={}\"` (the others are then ignored)",
            described(headers, candidates),
            column.name(),
            column.name()
        )
    }
}

fn slot(column: RawColumn) -> usize {
    RawColumn::ALL
        .iter()
        .position(|candidate| *candidate == column)
        .unwrap_or_default()
}

fn canonical_target(target: &str) -> Result<RawColumn> {
    RawColumn::from_name(target)
        .or_else(|| {
            RawColumn::ALL
                .into_iter()
                .find(|column| aliases(*column).contains(&normalise(target).as_str()))
        })
        .ok_or_else(|| {
            Error::Config(format!(
                "`--map` target `{target}` is not a column; expected one of {}",
                RawColumn::ALL
                    .iter()
                    .map(|column| format!("`{}`", column.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

fn quoted_list(headers: &[String]) -> String {
    if headers.is_empty() {
        return "no columns".to_owned();
    }
    quoted(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn online_retail_ii_names_are_recognised() {
        let found = headers(&[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
            "Country",
        ]);
        let mapping = ColumnMapping::resolve("x.csv", &found, &BTreeMap::new()).unwrap();
        assert_eq!(mapping.indices, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(mapping.input_name(RawColumn::CustomerId), "Customer ID");
    }

    #[test]
    fn order_and_case_do_not_matter() {
        let found = headers(&[
            "country",
            "customer_id",
            "UNIT PRICE",
            "invoice_date",
            "qty",
            "description",
            "stock-code",
            "invoice no",
            "extra",
        ]);
        let mapping = ColumnMapping::resolve("x.csv", &found, &BTreeMap::new()).unwrap();
        assert_eq!(mapping.indices, [7, 6, 5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn override_wins_over_alias() {
        let found = headers(&[
            "Invoice",
            "Order",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "CustomerID",
            "Country",
        ]);
        let overrides = BTreeMap::from([("Order".to_owned(), "InvoiceNo".to_owned())]);
        let mapping = ColumnMapping::resolve("x.csv", &found, &overrides).unwrap();
        assert_eq!(mapping.indices[0], 1);
    }

    #[test]
    fn missing_column_is_named() {
        let found = headers(&[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "Price",
            "Country",
        ]);
        let error = ColumnMapping::resolve("x.csv", &found, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("`x.csv`"), "{error}");
        assert!(
            error.contains("missing required columns `InvoiceDate`, `CustomerID`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_override_target_is_rejected() {
        let overrides = BTreeMap::from([("a".to_owned(), "Colour".to_owned())]);
        let error = ColumnMapping::resolve("x.csv", &headers(&["a"]), &overrides).unwrap_err();
        assert!(error.to_string().contains("`Colour` is not a column"));
    }

    #[test]
    fn two_columns_for_one_field_are_an_error_naming_both_until_one_is_chosen() {
        let found = headers(&[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "Customer",
            "CustomerID",
            "Country",
        ]);
        let error = ColumnMapping::resolve("x.csv", &found, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("`x.csv`"), "{error}");
        assert!(
            error.contains("`Customer` (column 7), `CustomerID` (column 8) all name the column `CustomerID`; choose one with `--map \"Customer=CustomerID\"`"),
            "{error}"
        );
        let overrides = BTreeMap::from([("CustomerID".to_owned(), "CustomerID".to_owned())]);
        let mapping = ColumnMapping::resolve("x.csv", &found, &overrides).unwrap();
        assert_eq!(mapping.input_name(RawColumn::CustomerId), "CustomerID");
    }

    #[test]
    fn a_name_twice_in_the_header_is_an_error_naming_both_places() {
        let found = headers(&[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
            "Quantity",
        ]);
        let error = ColumnMapping::resolve("x.csv", &found, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the header names `Quantity` 2 times (`Quantity` (column 4), `Quantity` (column 9)): rename all but one"),
            "{error}"
        );
        let overrides = BTreeMap::from([("Quantity".to_owned(), "Quantity".to_owned())]);
        let error = ColumnMapping::resolve("x.csv", &found, &overrides)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the header has 2 columns named so"),
            "{error}"
        );
    }
}
