//! A tiny XML writer and a tolerant reader for the small OSS request bodies
//! (CompleteMultipartUpload, CORSConfiguration).

/// Escape text for an XML element (quotes stay literal, as in OSS's `<ETag>"…"</ETag>`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Unescape the five predefined entities and numeric references.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = tail.get(1..end).unwrap_or("");
        let rep = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match rep {
            Some(c) => out.push(c),
            None => out.push_str(tail.get(..=end).unwrap_or("")),
        }
        rest = tail.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A parsed element: name, text, children.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Concatenated direct text (unescaped).
    pub text: String,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// Children with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// First child's text.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name == name)
            .map(|e| e.text.as_str())
    }
}

/// Parse a small XML document (no DTD, no CDATA needed; comments and PIs skipped).
pub fn parse(input: &str) -> Option<Element> {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = input;
    loop {
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() {
                return None;
            }
            break;
        };
        let text = rest.get(..lt)?;
        if !text.is_empty() {
            stack.last_mut()?.text.push_str(&unescape(text));
        }
        rest = rest.get(lt..)?;
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.get(r.find("?>")? + 2..)?;
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.get(r.find("-->")? + 3..)?;
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>")?;
            stack.last_mut()?.text.push_str(r.get(..end)?);
            rest = r.get(end + 3..)?;
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = r.get(r.find('>')? + 1..)?;
        } else if let Some(r) = rest.strip_prefix("</") {
            let gt = r.find('>')?;
            let name = r.get(..gt)?.trim();
            let el = stack.pop()?;
            if local(&el.name) != local(name) || stack.is_empty() {
                return None;
            }
            stack.last_mut()?.children.push(el);
            rest = r.get(gt + 1..)?;
        } else {
            let r = rest.get(1..)?;
            let gt = r.find('>')?;
            let inner = r.get(..gt)?;
            let self_closing = inner.ends_with('/');
            let inner = inner.trim_end_matches('/');
            let name = inner.split_whitespace().next()?.to_string();
            let el = Element {
                name: local(&name).to_string(),
                ..Element::default()
            };
            if self_closing {
                stack.last_mut()?.children.push(el);
            } else {
                stack.push(el);
            }
            rest = r.get(gt + 1..)?;
        }
    }
    if stack.len() != 1 {
        return None;
    }
    let mut root = stack.pop()?;
    if root.children.len() != 1 {
        return None;
    }
    root.children.pop()
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The namespace OSS's documentation shows on result roots.
pub const OSS_NAMESPACE: &str = "http://doc.oss-cn-hangzhou.aliyuncs.com";

/// Incremental writer for response bodies.
#[derive(Debug, Default)]
pub struct Writer {
    buf: String,
}

impl Writer {
    /// Start a document with the XML declaration.
    pub fn new() -> Self {
        Self {
            buf: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }
    /// `<name>` (no namespace: the official Python SDK does not parse namespaced results).
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }
    /// `<name xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">` when `ns`, else `<name>`: the root
    /// of the results whose documented OSS examples carry the namespace (InitiateMultipartUpload,
    /// CompleteMultipartUpload, ListParts). Opt-in (`--xml-namespace`) because the official
    /// Python SDK V2 rejects a namespaced root, so live OSS does not send it on these.
    pub fn open_root(&mut self, name: &str, ns: bool) -> &mut Self {
        if !ns {
            return self.open(name);
        }
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.buf.push_str(OSS_NAMESPACE);
        self.buf.push_str("\">");
        self
    }
    /// `</name>`
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }
    /// `<name>text</name>`
    pub fn el(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.buf.push_str(&escape(text));
        self.close(name)
    }
    /// The document.
    pub fn finish(&self) -> String {
        self.buf.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_complete_body() {
        let x = r#"<?xml version="1.0"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;AB&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"CD"</ETag></Part></CompleteMultipartUpload>"#;
        let e = parse(x).unwrap();
        assert_eq!(e.name, "CompleteMultipartUpload");
        let parts: Vec<_> = e.all("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].child_text("ETag"), Some("\"AB\""));
        assert!(parse("<a><b></a>").is_none());
        assert!(parse("garbage").is_none());
    }

    #[test]
    fn namespaced_root() {
        let mut w = Writer::new();
        w.open_root("ListPartsResult", true)
            .el("Key", "k")
            .close("ListPartsResult");
        let doc = w.finish();
        assert!(doc
            .contains(r#"<ListPartsResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com"><Key>"#));
        assert_eq!(parse(&doc).unwrap().child_text("Key"), Some("k"));
        let mut w = Writer::new();
        w.open_root("ListPartsResult", false)
            .close("ListPartsResult");
        assert!(w.finish().ends_with("<ListPartsResult></ListPartsResult>"));
    }
}
