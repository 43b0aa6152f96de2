//! Streaming `multipart/form-data` parser (RFC 7578), fed chunk by chunk.

/// Parser output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A part starts.
    Part {
        /// Field name.
        name: String,
        /// File name, for file parts.
        filename: Option<String>,
        /// Part Content-Type.
        content_type: Option<String>,
    },
    /// Body bytes of the current part.
    Data(Vec<u8>),
    /// The current part ended.
    PartEnd,
    /// The closing boundary was seen.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Preamble,
    AfterDelim,
    Headers,
    Body,
    Done,
}

/// The parser.
#[derive(Debug)]
pub struct FormParser {
    delim: Vec<u8>,
    buf: Vec<u8>,
    pos: usize,
    st: St,
}

/// Boundary parameter of a `multipart/form-data` Content-Type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim().trim_matches('"');
            (!v.is_empty()).then(|| v.to_string())
        } else {
            None
        }
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let rel = hay.get(i..)?.iter().position(|&b| b == first)?;
        i += rel;
        if hay.get(i..i + needle.len())? == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn param(header: &str, name: &str) -> Option<String> {
    // name="value" (quoted, with \" escapes) or name=value
    let lower = header.to_ascii_lowercase();
    let mut search = 0;
    while let Some(rel) = lower.get(search..)?.find(name) {
        let at = search + rel;
        let before_ok =
            at == 0 || matches!(lower.as_bytes().get(at - 1), Some(b' ' | b';' | b'\t'));
        let after = header.get(at + name.len()..)?;
        if before_ok {
            if let Some(rest) = after.trim_start().strip_prefix('=') {
                let rest = rest.trim_start();
                if let Some(q) = rest.strip_prefix('"') {
                    let mut out = String::new();
                    let mut chars = q.chars();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some(n) = chars.next() {
                                    out.push(n);
                                }
                            }
                            '"' => return Some(out),
                            c => out.push(c),
                        }
                    }
                    return Some(out);
                }
                return Some(rest.split(';').next().unwrap_or("").trim().to_string());
            }
        }
        search = at + name.len();
    }
    None
}

impl FormParser {
    /// New parser for this boundary.
    pub fn new(boundary: &str) -> Self {
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary.as_bytes());
        Self {
            delim,
            // A leading CRLF lets the first boundary match the same delimiter.
            buf: b"\r\n".to_vec(),
            pos: 0,
            st: St::Preamble,
        }
    }

    /// Feed bytes.
    pub fn push(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Is the closing boundary seen?
    pub fn done(&self) -> bool {
        self.st == St::Done
    }

    fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Next event, `Ok(None)` when more input is needed; `Err` on malformed input.
    pub fn next_event(&mut self) -> Result<Option<Event>, &'static str> {
        loop {
            match self.st {
                St::Done => return Ok(None),
                St::Preamble => match find(self.avail(), &self.delim) {
                    Some(i) => {
                        self.pos += i + self.delim.len();
                        self.st = St::AfterDelim;
                    }
                    None => {
                        let keep = self.delim.len();
                        let a = self.avail().len();
                        if a > keep {
                            self.pos += a - keep;
                        }
                        return Ok(None);
                    }
                },
                St::AfterDelim => {
                    let a = self.avail();
                    if a.len() < 2 {
                        return Ok(None);
                    }
                    if a.starts_with(b"--") {
                        self.st = St::Done;
                        self.pos = self.buf.len();
                        return Ok(Some(Event::End));
                    }
                    // skip transport padding up to CRLF
                    match find(a, b"\r\n") {
                        Some(i) => {
                            if a.get(..i)
                                .is_some_and(|p| p.iter().any(|b| *b != b' ' && *b != b'\t'))
                            {
                                return Err("bad boundary line");
                            }
                            self.pos += i + 2;
                            self.st = St::Headers;
                        }
                        None if a.len() > 256 => return Err("bad boundary line"),
                        None => return Ok(None),
                    }
                }
                St::Headers => {
                    let a = self.avail();
                    let Some(end) = find(a, b"\r\n\r\n") else {
                        if a.len() > 16 * 1024 {
                            return Err("part headers too long");
                        }
                        return Ok(None);
                    };
                    let head = String::from_utf8_lossy(a.get(..end).unwrap_or(&[])).into_owned();
                    self.pos += end + 4;
                    let mut name = None;
                    let mut filename = None;
                    let mut content_type = None;
                    for line in head.split("\r\n") {
                        let Some((k, v)) = line.split_once(':') else {
                            continue;
                        };
                        let k = k.trim();
                        if k.eq_ignore_ascii_case("content-disposition") {
                            name = param(v, "name");
                            filename = param(v, "filename");
                        } else if k.eq_ignore_ascii_case("content-type") {
                            content_type = Some(v.trim().to_string());
                        }
                    }
                    let Some(name) = name else {
                        return Err("part without a name");
                    };
                    self.st = St::Body;
                    return Ok(Some(Event::Part {
                        name,
                        filename,
                        content_type,
                    }));
                }
                St::Body => {
                    let a = self.avail();
                    match find(a, &self.delim) {
                        Some(0) => {
                            self.pos += self.delim.len();
                            self.st = St::AfterDelim;
                            return Ok(Some(Event::PartEnd));
                        }
                        Some(i) => {
                            let data = a.get(..i).unwrap_or(&[]).to_vec();
                            self.pos += i;
                            return Ok(Some(Event::Data(data)));
                        }
                        None => {
                            let keep = self.delim.len() - 1;
                            if a.len() > keep {
                                let n = a.len() - keep;
                                let data = a.get(..n).unwrap_or(&[]).to_vec();
                                self.pos += n;
                                return Ok(Some(Event::Data(data)));
                            }
                            return Ok(None);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(body: &[u8], chunk: usize) -> Vec<Event> {
        let mut p = FormParser::new("XyZ");
        let mut out = Vec::new();
        for c in body.chunks(chunk) {
            p.push(c);
            while let Some(e) = p.next_event().unwrap() {
                match (out.last_mut(), e) {
                    (Some(Event::Data(prev)), Event::Data(d)) => prev.extend(d),
                    (_, e) => out.push(e),
                }
            }
        }
        out
    }

    #[test]
    fn parses_fields_and_file_in_any_chunking() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/a.txt\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--world\r\n--XyZ--\r\n";
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let ev = parse_all(body, chunk);
            assert_eq!(
                ev,
                vec![
                    Event::Part {
                        name: "key".into(),
                        filename: None,
                        content_type: None
                    },
                    Event::Data(b"uploads/a.txt".to_vec()),
                    Event::PartEnd,
                    Event::Part {
                        name: "file".into(),
                        filename: Some("a.txt".into()),
                        content_type: Some("text/plain".into())
                    },
                    Event::Data(b"hello\r\n--world".to_vec()),
                    Event::PartEnd,
                    Event::End,
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----abc").as_deref(),
            Some("----abc")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"q\"").as_deref(),
            Some("q")
        );
        assert_eq!(boundary("text/plain"), None);
    }
}
