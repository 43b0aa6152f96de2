//! Inline RAM policies attached to minted credentials: `{"Statement":[{"Effect":"Allow",
//! "Action":["oss:PutObject"],"Resource":["acs:oss:*:*:demo/uploads/*"]}]}`.
//! Explicit Deny wins; otherwise some Allow must match both action and resource.

use serde_json::Value;

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
    /// The JSON as given.
    pub source: String,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `*` and `?` wildcard match (case-sensitive, as RAM does for resources).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

impl Policy {
    /// Parse a RAM policy document.
    pub fn parse(json: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(json).map_err(|e| format!("policy is not JSON: {e}"))?;
        let sts = match v.get("Statement") {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => return Err("policy has no Statement".into()),
        };
        let mut statements = Vec::new();
        for s in &sts {
            let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("");
            let allow = match effect {
                "Allow" => true,
                "Deny" => false,
                _ => return Err(format!("bad Effect {effect:?}")),
            };
            statements.push(Statement {
                allow,
                actions: strings(s.get("Action")),
                resources: strings(s.get("Resource")),
            });
        }
        Ok(Self {
            statements,
            source: json.to_string(),
        })
    }

    /// Is `action` (e.g. `oss:PutObject`) on `acs:oss:*:*:bucket[/key]` allowed?
    pub fn allows(&self, action: &str, bucket: &str, key: Option<&str>) -> bool {
        let resource = match key {
            Some(k) => format!("acs:oss:*:*:{bucket}/{k}"),
            None => format!("acs:oss:*:*:{bucket}"),
        };
        let matches = |s: &Statement| {
            s.actions
                .iter()
                .any(|a| glob(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
                && s.resources.iter().any(|r| resource_match(r, &resource))
        };
        if self.statements.iter().any(|s| !s.allow && matches(s)) {
            return false;
        }
        self.statements.iter().any(|s| s.allow && matches(s))
    }
}

fn resource_match(pattern: &str, resource: &str) -> bool {
    // Region/account fields may be given concretely (`acs:oss:cn-hangzhou:123:demo/*`): treat
    // them as wildcards, the emulator has neither.
    let mut p = pattern.splitn(5, ':');
    let (Some("acs"), Some(svc), Some(_), Some(_), Some(rest)) =
        (p.next(), p.next(), p.next(), p.next(), p.next())
    else {
        return pattern == "*";
    };
    if svc != "oss" && svc != "*" {
        return false;
    }
    let res_rest = resource.splitn(5, ':').nth(4).unwrap_or("");
    glob(rest, res_rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_policy() {
        let p = Policy::parse(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:demo/uploads/*"]}]}"#).unwrap();
        assert!(p.allows("oss:PutObject", "demo", Some("uploads/a.txt")));
        assert!(!p.allows("oss:PutObject", "demo", Some("other/a.txt")));
        assert!(!p.allows("oss:GetObject", "demo", Some("uploads/a.txt")));
        let d = Policy::parse(r#"{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"acs:oss:*:*:*"}]}"#).unwrap();
        assert!(d.allows("oss:GetObject", "demo", Some("x")));
        assert!(!d.allows("oss:DeleteObject", "demo", Some("x")));
    }

    #[test]
    fn glob_works() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(!glob("a*c", "abd"));
        assert!(glob("a?c*", "abcde"));
    }
}
