//! A customer table in memory: one row per customer, numeric columns by name.

use ndarray::Array2;

use crate::error::{Error, Result};

/// Name of the customer key column.
pub const CUSTOMER_ID: &str = custseg_schema::CUSTOMER_ID;

/// One row per customer: the key and named numeric columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerTable {
    /// Customer keys, one per row.
    pub customer_ids: Vec<i64>,
    /// Numeric columns, in the order they were read.
    pub columns: Vec<(String, Vec<f64>)>,
}

impl CustomerTable {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_ids.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.customer_ids.is_empty()
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, values)| values.as_slice())
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        Self {
            customer_ids: indices.iter().map(|&i| self.customer_ids[i]).collect(),
            columns: self
                .columns
                .iter()
                .map(|(name, values)| (name.clone(), indices.iter().map(|&i| values[i]).collect()))
                .collect(),
        }
    }

    /// The `features` as an `n x features.len()` matrix. Every feature must be present and
    /// every value a finite number; the error names the customer and the column.
    pub fn matrix(&self, features: &[String]) -> Result<Array2<f64>> {
        let mut columns = Vec::with_capacity(features.len());
        for name in features {
            let values = self.column(name).ok_or_else(|| {
                Error::Table(format!("the customer table has no feature column `{name}`"))
            })?;
            columns.push(values);
        }
        for (name, values) in features.iter().zip(&columns) {
            if let Some((row, value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::Table(format!(
                    "customer `{}` (row {}): feature `{name}` is `{value}`, not a finite number",
                    self.customer_ids[row],
                    row + 1
                )));
            }
        }
        Ok(Array2::from_shape_fn(
            (self.len(), features.len()),
            |(i, j)| columns[j][i],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CustomerTable {
        CustomerTable {
            customer_ids: vec![10, 11],
            columns: vec![
                ("a".into(), vec![1.0, 2.0]),
                ("b".into(), vec![3.0, f64::NAN]),
            ],
        }
    }

    #[test]
    fn matrix_names_missing_column_and_bad_value() {
        let t = table();
        assert_eq!(t.matrix(&["a".into()]).unwrap()[[1, 0]], 2.0);
        let missing = t.matrix(&["c".into()]).unwrap_err().to_string();
        assert!(missing.contains("`c`"), "{missing}");
        let nan = t.matrix(&["b".into()]).unwrap_err().to_string();
        assert!(
            nan.contains("customer `11` (row 2)") && nan.contains("`b`"),
            "{nan}"
        );
    }
}
