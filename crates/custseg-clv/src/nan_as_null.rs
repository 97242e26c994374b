//! Reading back numbers that were not finite when written: JSON has no NaN or infinity, so
//! serde_json writes them as `null`; these deserializers read that `null` as NaN. Used with
//! `#[serde(deserialize_with = ...)]` on the fields of the fits where a non-finite value can
//! occur (log-likelihoods, standard errors, correlations, holdout errors).

use serde::{Deserialize, Deserializer};

/// An `f64`, or NaN for `null`.
pub fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// An optional array of `N` numbers, each `null` read as NaN.
pub fn numbers<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
) -> Result<Option<[f64; N]>, D::Error> {
    let Some(values) = Option::<Vec<Option<f64>>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let length = values.len();
    let numbers: Vec<f64> = values.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
    <[f64; N]>::try_from(numbers)
        .map(Some)
        .map_err(|_| serde::de::Error::invalid_length(length, &format!("{N} numbers").as_str()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Fit {
        #[serde(deserialize_with = "super::number")]
        log_likelihood: f64,
        #[serde(deserialize_with = "super::numbers")]
        standard_errors: Option<[f64; 3]>,
    }

    #[test]
    fn null_reads_as_nan_and_a_wrong_length_is_an_error() {
        let fit: Fit =
            serde_json::from_str(r#"{"log_likelihood": null, "standard_errors": [1.5, null, 2]}"#)
                .unwrap();
        assert!(fit.log_likelihood.is_nan());
        let errors = fit.standard_errors.unwrap();
        assert_eq!((errors[0], errors[2]), (1.5, 2.0));
        assert!(errors[1].is_nan());
        let none: Fit =
            serde_json::from_str(r#"{"log_likelihood": -3.25, "standard_errors": null}"#).unwrap();
        assert_eq!((none.log_likelihood, none.standard_errors), (-3.25, None));
        let short = serde_json::from_str::<Fit>(r#"{"log_likelihood": 1, "standard_errors": [1]}"#);
        assert!(short.unwrap_err().to_string().contains("3 numbers"));
        assert!(
            serde_json::from_str::<Fit>(r#"{"log_likelihood": "x", "standard_errors": null}"#)
                .is_err()
        );
    }
}
