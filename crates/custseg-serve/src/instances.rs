//! Reading the Vertex AI request shape, `{"instances": [...], "parameters": {...}}`, into rows of
//! numbers, with errors that name the instance and the field.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::error::Category;

use crate::error::{ApiError, ErrorCode};

/// A parsed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// One row per instance, in the order of the names asked for.
    pub rows: Vec<Vec<f64>>,
    /// `CustomerID` of each instance, when given.
    pub customer_ids: Vec<Option<i64>>,
    /// `parameters.explain`.
    pub explain: bool,
}

/// Parses `body`: each instance an object by field name or an array in `names` order. Object
/// keys in `ignored` (descriptive columns such as `CustomerID`) are allowed and not read, except
/// `CustomerID`, which is kept.
///
/// The body is read in one streaming pass straight into the rows (the serde visitors below),
/// without a tree of `serde_json::Value`s with a string and a map entry for every key of every
/// instance. A value is read as a number straight away; only a value that is not a number is
/// read into a `Value`, so that the error can quote what the client sent. When several things
/// are wrong, the one reported is, in this order: JSON that does not parse, an unknown
/// top-level key, a bad `parameters`, a missing `instances`, too many instances, then the
/// first bad instance.
pub fn parse(
    body: &[u8],
    names: &[String],
    ignored: &[&str],
    max_instances: usize,
) -> Result<Request, ApiError> {
    let shape = Shape {
        names,
        ignored,
        max_instances,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = BodySeed(&shape)
        .deserialize(&mut deserializer)
        .and_then(|request| deserializer.end().map(|()| request));
    match parsed {
        Ok(request) => request,
        Err(error) => {
            let message = if error.classify() == Category::Data {
                format!("the body must be an object `{{\"instances\": [...]}}`: {error}")
            } else {
                format!("the body is not valid JSON: {error}")
            };
            Err(ApiError::bad_request(ErrorCode::MalformedRequest, message))
        }
    }
}

/// What the visitors check against. Each visitor returns the API's error as its value
/// (having read past the rest of its part of the body), so that only JSON that does not parse
/// stops the pass: a serde error carries a message, the API's errors a code, an instance and a
/// field, and which error wins does not depend on where in the body each one is.
struct Shape<'a> {
    names: &'a [String],
    ignored: &'a [&'a str],
    max_instances: usize,
}

/// The scalar visits of a visitor that wants a list or an object, each answering
/// `Ok(Err(self.$fail()))`. (serde_json's typed entry points, `deserialize_seq` and the like,
/// reject the other shapes without asking the visitor, so the visitors take
/// `deserialize_any` and turn the shapes down themselves, with the API's error.)
macro_rules! other_shapes {
    ($fail:ident) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Err(self.$fail()))
        }
    };
}

fn drain_map<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads past the rest of a list, returning how many elements it had left.
fn drain_seq<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<usize, A::Error> {
    let mut count = 0;
    while seq.next_element::<IgnoredAny>()?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// The whole body: `{"instances": [...], "parameters": {...}}`.
struct BodySeed<'a>(&'a Shape<'a>);

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Result<Request, ApiError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Result<Request, ApiError>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object `{\"instances\": [...]}`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut instances, mut explain, mut unknown) = (None, Ok(false), None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "instances" => instances = Some(map.next_value_seed(InstancesSeed(self.0))?),
                "parameters" => explain = explain_flag(&map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    unknown.get_or_insert(ApiError {
                        field: Some(key.clone()),
                        ..ApiError::bad_request(
                            ErrorCode::MalformedRequest,
                            format!(
                                "unknown top-level key `{key}`: expected `instances` and optionally `parameters`"
                            ),
                        )
                    });
                }
            }
        }
        if let Some(error) = unknown {
            return Ok(Err(error));
        }
        let explain = match explain {
            Ok(explain) => explain,
            Err(error) => return Ok(Err(error)),
        };
        Ok(match instances {
            None => Err(instances_not_a_list()),
            Some(Err(error)) => Err(error),
            Some(Ok((rows, customer_ids))) => Ok(Request {
                rows,
                customer_ids,
                explain,
            }),
        })
    }
}

/// `parameters`: an object whose `explain`, when present, is true or false.
fn explain_flag(parameters: &Value) -> Result<bool, ApiError> {
    match parameters {
        Value::Null => Ok(false),
        Value::Object(parameters) => match parameters.get("explain") {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(_) => Err(ApiError {
                field: Some("parameters.explain".into()),
                ..ApiError::bad_request(
                    ErrorCode::MalformedRequest,
                    "`parameters.explain` must be true or false",
                )
            }),
        },
        _ => Err(ApiError::bad_request(
            ErrorCode::MalformedRequest,
            "`parameters` must be an object",
        )),
    }
}

/// `instances`: a non-empty list of at most `max_instances` instances.
struct InstancesSeed<'a>(&'a Shape<'a>);

type Rows = (Vec<Vec<f64>>, Vec<Option<i64>>);

impl<'de> DeserializeSeed<'de> for InstancesSeed<'_> {
    type Value = Result<Rows, ApiError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The answer to a body whose `instances` is missing or is not a JSON list.
fn instances_not_a_list() -> ApiError {
    ApiError {
        field: Some("instances".into()),
        ..ApiError::bad_request(ErrorCode::MalformedRequest, "`instances` must be a list")
    }
}

impl InstancesSeed<'_> {
    /// For [`other_shapes!`].
    fn not_a_list(&self) -> ApiError {
        instances_not_a_list()
    }
}

impl<'de> Visitor<'de> for InstancesSeed<'_> {
    type Value = Result<Rows, ApiError>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a list of instances")
    }

    other_shapes!(not_a_list);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        drain_map(&mut map)?;
        Ok(Err(self.not_a_list()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let shape = self.0;
        let capacity = seq.size_hint().unwrap_or(0).min(shape.max_instances);
        let mut rows = Vec::with_capacity(capacity);
        let mut customer_ids = Vec::with_capacity(capacity);
        let mut count = 0;
        let mut first_bad = None;
        while count < shape.max_instances {
            let seed = InstanceSeed {
                shape,
                index: count,
            };
            match seq.next_element_seed(seed)? {
                None => break,
                Some(Ok((row, id))) => {
                    rows.push(row);
                    customer_ids.push(id);
                }
                Some(Err(error)) => {
                    first_bad = Some(error);
                    count += 1;
                    break;
                }
            }
            count += 1;
        }
        // The rest is only counted: to say how many there were, or to let too many win
        // over a bad instance.
        count += drain_seq(&mut seq)?;
        Ok(if count > shape.max_instances {
            Err(ApiError::with_status(
                413,
                ErrorCode::TooManyInstances,
                format!(
                    "{count} instances in one request; at most {}",
                    shape.max_instances
                ),
            ))
        } else if let Some(error) = first_bad {
            Err(error)
        } else if rows.is_empty() {
            Err(ApiError::bad_request(
                ErrorCode::NoInstances,
                "`instances` is empty",
            ))
        } else {
            Ok((rows, customer_ids))
        })
    }
}

/// One instance: an object by feature name, or an array in feature order.
struct InstanceSeed<'a> {
    shape: &'a Shape<'a>,
    index: usize,
}

type Instance = (Vec<f64>, Option<i64>);

impl<'de> DeserializeSeed<'de> for InstanceSeed<'_> {
    type Value = Result<Instance, ApiError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl InstanceSeed<'_> {
    fn not_an_instance(&self) -> ApiError {
        let index = self.index;
        ApiError {
            instance: Some(index),
            ..ApiError::bad_request(
                ErrorCode::MalformedRequest,
                format!(
                    "instance {index}: expected an object by feature name or an array in feature order"
                ),
            )
        }
    }

    /// Reads an object instance; `Err` inside for the first bad key or value.
    fn read_object<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
    ) -> Result<Result<Instance, ApiError>, A::Error> {
        let (shape, index) = (self.shape, self.index);
        let names = shape.names;
        let mut row: Vec<Option<f64>> = vec![None; names.len()];
        let mut id = None;
        // Clients mostly send the keys in the model's order: each key is first compared with
        // the name after the previous one.
        let mut expected = 0;
        while let Some(key) = map.next_key_seed(KeySeed { shape, expected })? {
            let read = match key {
                Key::Feature(position) => {
                    expected = position + 1;
                    map.next_value_seed(NumberSeed)?
                        .map_err(|value| not_a_number(&value, index, &names[position]))
                        .and_then(|number| finite(number, index, &names[position]))
                        .map(|number| {
                            row[position] = Some(number);
                        })
                }
                Key::CustomerId => match map.next_value::<Value>()? {
                    Value::Null => Ok(()),
                    value => customer_id(&value, index).map(|number| id = Some(number)),
                },
                Key::Ignored => {
                    map.next_value::<IgnoredAny>()?;
                    Ok(())
                }
                Key::Unknown(key) => {
                    map.next_value::<IgnoredAny>()?;
                    Err(ApiError::at(
                        ErrorCode::UnknownField,
                        index,
                        &key,
                        format!(
                            "instance {index}: unknown field `{key}` (expected {})",
                            quoted(names)
                        ),
                    ))
                }
            };
            if let Err(error) = read {
                drain_map(map)?;
                return Ok(Err(error));
            }
        }
        let row = row.into_iter().zip(names).map(|(value, name)| {
            value.ok_or_else(|| {
                ApiError::at(
                    ErrorCode::MissingField,
                    index,
                    name,
                    format!("instance {index}: missing field `{name}`"),
                )
            })
        });
        Ok(row
            .collect::<Result<Vec<f64>, ApiError>>()
            .map(|row| (row, id)))
    }
}

impl<'de> Visitor<'de> for InstanceSeed<'_> {
    type Value = Result<Instance, ApiError>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object by feature name or an array in feature order")
    }

    other_shapes!(not_an_instance);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.read_object(&mut map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (shape, index) = (self.shape, self.index);
        let names = shape.names;
        let mut row = Vec::with_capacity(names.len());
        // The length is checked before the values, so a wrong-length array says so first.
        let mut first_bad = None;
        let mut count = 0;
        while count < names.len() {
            let Some(value) = seq.next_element_seed(NumberSeed)? else {
                break;
            };
            let name = &names[count];
            match value
                .map_err(|value| not_a_number(&value, index, name))
                .and_then(|number| finite(number, index, name))
            {
                Ok(number) => row.push(number),
                Err(error) => {
                    first_bad.get_or_insert(error);
                }
            }
            count += 1;
        }
        count += drain_seq(&mut seq)?;
        if count != names.len() {
            return Ok(Err(ApiError {
                instance: Some(index),
                ..ApiError::bad_request(
                    ErrorCode::WrongLength,
                    format!(
                        "instance {index}: {count} values; an array instance has one per feature, in order: {}",
                        quoted(names)
                    ),
                )
            }));
        }
        Ok(match first_bad {
            Some(error) => Err(error),
            None => Ok((row, None)),
        })
    }
}

/// An object key of an instance.
enum Key {
    Feature(usize),
    CustomerId,
    Ignored,
    Unknown(String),
}

/// Reads an object key without allocating: a feature's position, or what else it is.
struct KeySeed<'a> {
    shape: &'a Shape<'a>,
    /// The position tried first.
    expected: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // As bytes: serde_json then skips checking that the key is UTF-8 (a tenth of the
        // parse); escapes are still decoded, so the bytes equal a name exactly when the text
        // does.
        deserializer.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Key, E> {
        let shape = self.shape;
        let is = |name: &str| name.as_bytes() == key;
        if shape.names.get(self.expected).is_some_and(|name| is(name)) {
            return Ok(Key::Feature(self.expected));
        }
        Ok(
            if let Some(position) = shape.names.iter().position(|name| is(name)) {
                Key::Feature(position)
            } else if !shape.ignored.iter().any(|name| is(name)) {
                // Only keys that match no name are checked to be text, as JSON requires.
                let key = std::str::from_utf8(key)
                    .map_err(|_| E::custom("an object key is not valid UTF-8"))?;
                Key::Unknown(key.to_owned())
            } else if is("CustomerID") {
                Key::CustomerId
            } else {
                Key::Ignored
            },
        )
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        self.visit_bytes(key.as_bytes())
    }
}

/// Reads a value as a number without building a [`Value`] for it: `Err` holds what was sent
/// instead (read into a `Value` only then, for the error message).
struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Result<f64, Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumberSeed {
    type Value = Result<f64, Value>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Ok(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Ok(v as f64))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Err(Value::Bool(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Err(Value::String(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Err(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Err(value))
    }
}

/// `number` if it is finite; an error naming the instance and field otherwise.
fn finite(number: f64, index: usize, name: &str) -> Result<f64, ApiError> {
    if number.is_finite() {
        Ok(number)
    } else {
        Err(ApiError::at(
            ErrorCode::InvalidValue,
            index,
            name,
            format!("instance {index}: field `{name}` is {number}, not a finite number"),
        ))
    }
}

/// The error for a value that is not a number.
fn not_a_number(value: &Value, index: usize, name: &str) -> ApiError {
    ApiError::at(
        ErrorCode::NotANumber,
        index,
        name,
        format!("instance {index}: field `{name}` is not a number: `{value}`"),
    )
}

fn customer_id(value: &Value, index: usize) -> Result<i64, ApiError> {
    match value {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|v| v.fract() == 0.0 && v.abs() < 9e15) =>
        {
            Ok(n.as_f64().unwrap_or_default() as i64)
        }
        _ => Err(ApiError::at(
            ErrorCode::NotANumber,
            index,
            "CustomerID",
            format!("instance {index}: `CustomerID` is not a whole number: `{value}`"),
        )),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    fn error(body: &str) -> ApiError {
        parse(body.as_bytes(), &names(), &["CustomerID"], 3).unwrap_err()
    }

    #[test]
    fn objects_and_arrays_give_rows_in_feature_order() {
        let request = parse(
            br#"{"instances": [{"b": 2, "a": 1.5, "CustomerID": 12}, [3, 4]], "parameters": {"explain": true}}"#,
            &names(),
            &["CustomerID"],
            3,
        )
        .unwrap();
        assert_eq!(request.rows, vec![vec![1.5, 2.0], vec![3.0, 4.0]]);
        assert_eq!(request.customer_ids, vec![Some(12), None]);
        assert!(request.explain);
    }

    #[test]
    fn escaped_keys_repeated_keys_and_ignored_columns() {
        let request = parse(
            br#"{"parameters": {"explain": false}, "instances": [{"\u0061": 1, "b": 2, "a": 3, "Country": "UK", "CustomerID": null}, {"a": 0, "b": -1e3, "CustomerID": 17.0}]}"#,
            &names(),
            &["CustomerID", "Country"],
            3,
        )
        .unwrap();
        // `\u0061` is `a`; the later `a` wins, as in a JSON object read whole.
        assert_eq!(request.rows, vec![vec![3.0, 2.0], vec![0.0, -1000.0]]);
        assert_eq!(request.customer_ids, vec![None, Some(17)]);
        assert!(!request.explain);
    }

    #[test]
    fn a_value_that_is_not_a_number_is_quoted_as_sent() {
        for (sent, quoted) in [
            ("true", "true"),
            ("\"12\"", "\"12\""),
            ("null", "null"),
            ("[1, [2]]", "[1,[2]]"),
            ("{\"x\": {\"y\": 1}}", "{\"x\":{\"y\":1}}"),
        ] {
            for body in [
                format!(r#"{{"instances": [{{"a": 1, "b": {sent}}}]}}"#),
                format!(r#"{{"instances": [[1, {sent}]]}}"#),
            ] {
                let error = error(&body);
                assert_eq!(error.code, ErrorCode::NotANumber, "{body}");
                assert_eq!(error.field.as_deref(), Some("b"), "{body}");
                assert!(
                    error
                        .message
                        .ends_with(&format!("field `b` is not a number: `{quoted}`")),
                    "{body}: {}",
                    error.message
                );
            }
        }
    }

    #[test]
    fn a_key_that_is_not_utf8_is_malformed_json() {
        let body = b"{\"instances\": [{\"a\": 1, \"b\": 2, \"\xff\": 3}]}";
        let error = parse(body, &names(), &["CustomerID"], 3).unwrap_err();
        assert_eq!(error.code, ErrorCode::MalformedRequest);
        assert!(
            error.message.contains("not valid UTF-8"),
            "{}",
            error.message
        );
    }

    #[test]
    fn every_bad_request_names_what_and_where() {
        let cases = [
            ("{", ErrorCode::MalformedRequest, None, None),
            ("[1]", ErrorCode::MalformedRequest, None, None),
            (r#"{"instances": []}"#, ErrorCode::NoInstances, None, None),
            (
                r#"{"instances": [[1,2],[1,2],[1,2],[1,2]]}"#,
                ErrorCode::TooManyInstances,
                None,
                None,
            ),
            (
                r#"{"instances": [{"a": 1}]}"#,
                ErrorCode::MissingField,
                Some(0),
                Some("b"),
            ),
            (
                r#"{"instances": [[1,2], {"a": 1, "b": 2, "c": 3}]}"#,
                ErrorCode::UnknownField,
                Some(1),
                Some("c"),
            ),
            (
                r#"{"instances": [{"a": "x", "b": 2}]}"#,
                ErrorCode::NotANumber,
                Some(0),
                Some("a"),
            ),
            (
                r#"{"instances": [{"a": null, "b": 2}]}"#,
                ErrorCode::NotANumber,
                Some(0),
                Some("a"),
            ),
            (
                r#"{"instances": [[1]]}"#,
                ErrorCode::WrongLength,
                Some(0),
                None,
            ),
            (
                r#"{"instances": [7]}"#,
                ErrorCode::MalformedRequest,
                Some(0),
                None,
            ),
            (
                r#"{"instances": [[1, 2]], "parameters": {"explain": 1}}"#,
                ErrorCode::MalformedRequest,
                None,
                Some("parameters.explain"),
            ),
            (
                r#"{"instance": []}"#,
                ErrorCode::MalformedRequest,
                None,
                Some("instance"),
            ),
            (
                r#"{"instances": [[1, 1e400]]}"#,
                ErrorCode::MalformedRequest,
                None,
                None,
            ),
        ];
        // What the streaming read must get right beside the single cases: a too-long list
        // wins over a bad instance in it, JSON that does not parse wins over everything, and
        // a list must be a list.
        let cases = cases.into_iter().chain([
            (
                r#"{"instances": [{"a": "x"}, [1,2],[1,2],[1,2]]}"#,
                ErrorCode::TooManyInstances,
                None,
                None,
            ),
            (
                r#"{"instances": [{"a": "x", "b": 1}], "x": }"#,
                ErrorCode::MalformedRequest,
                None,
                None,
            ),
            (
                r#"{"instances": {"a": 1, "b": 2}}"#,
                ErrorCode::MalformedRequest,
                None,
                Some("instances"),
            ),
            (
                r#"{"instances": [[1, 2]], "parameters": 3}"#,
                ErrorCode::MalformedRequest,
                None,
                None,
            ),
            (
                r#"{"instances": [{"a": 1, "b": 2}, {"a": 1, "b": 2, "CustomerID": 1.5}]}"#,
                ErrorCode::NotANumber,
                Some(1),
                Some("CustomerID"),
            ),
        ]);
        for (body, code, instance, field) in cases {
            let e = error(body);
            assert_eq!(
                (e.code, e.instance, e.field.as_deref()),
                (code, instance, field),
                "{body}: {e:?}"
            );
        }
        assert_eq!(
            error(r#"{"instances": [[1,2],[1,2],[1,2],[1,2]]}"#).status,
            413
        );
    }
}
