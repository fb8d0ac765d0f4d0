//! PDF objects and a bounded, panic-free parser for them.
//!
//! The parser works on a window of the file and reports `Incomplete` when
//! an object runs past it, so the caller can read a larger window; strings
//! remember their absolute byte span, which is how a signature's
//! `/Contents` is matched against its `/ByteRange` gap.

/// Deepest nesting of arrays and dictionaries accepted.
const MAX_DEPTH: usize = 64;

/// A PDF object.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    /// A string: decoded bytes, absolute span of its encoding, hex or not.
    Str {
        bytes: Vec<u8>,
        span: (u64, u64),
    },
    Array(Vec<Object>),
    Dict(Dict),
    Ref(u32, u16),
    /// A stream: its dictionary, and where its raw data lies in the file
    /// (or in a decoded object stream, which never holds streams).
    Stream(Dict, StreamData),
}

/// Where a stream's raw bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamData {
    pub offset: u64,
    pub len: u64,
}

/// A dictionary, keys in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(n),
            _ => None,
        }
    }

    pub(crate) fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Object::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(|(k, _)| k.as_slice())
    }
}

impl Object {
    pub(crate) fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) | Object::Stream(d, _) => Some(d),
            _ => None,
        }
    }

    /// Structural equality, ignoring where strings were found. Streams are
    /// equal here when their dictionaries and data locations are; callers
    /// compare stream bytes themselves.
    pub(crate) fn same(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Null, Object::Null) => true,
            (Object::Bool(a), Object::Bool(b)) => a == b,
            (Object::Int(a), Object::Int(b)) => a == b,
            (Object::Real(a), Object::Real(b)) => a.to_bits() == b.to_bits(),
            (Object::Int(a), Object::Real(b)) | (Object::Real(b), Object::Int(a)) => {
                (*a as f64).to_bits() == b.to_bits()
            }
            (Object::Name(a), Object::Name(b)) => a == b,
            (Object::Str { bytes: a, .. }, Object::Str { bytes: b, .. }) => a == b,
            (Object::Array(a), Object::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Object::Dict(a), Object::Dict(b)) => dict_same(a, b, &[]),
            (Object::Ref(a, g), Object::Ref(b, h)) => a == b && g == h,
            (Object::Stream(a, x), Object::Stream(b, y)) => x == y && dict_same(a, b, &[]),
            _ => false,
        }
    }
}

/// Dictionary equality, ignoring the keys in `except`.
pub(crate) fn dict_same(a: &Dict, b: &Dict, except: &[&[u8]]) -> bool {
    let relevant = |d: &Dict| -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = d
            .keys()
            .filter(|k| !except.contains(k))
            .map(<[u8]>::to_vec)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let ka = relevant(a);
    if ka != relevant(b) {
        return false;
    }
    ka.iter().all(|k| match (a.get(k), b.get(k)) {
        (Some(x), Some(y)) => x.same(y),
        _ => false,
    })
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// The object runs past the end of the window.
    Incomplete,
    /// The bytes are not a valid object.
    Invalid(String),
}

type PResult<T> = Result<T, ParseError>;

fn invalid<T>(what: &str, at: u64) -> PResult<T> {
    Err(ParseError::Invalid(format!("{what} at offset {at}")))
}

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// A cursor over a window of the file that starts at absolute offset `base`.
/// `at_eof` says whether the window ends at the end of the file.
pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    at_eof: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64, at_eof: bool) -> Self {
        Parser {
            buf,
            pos: 0,
            base,
            at_eof,
        }
    }

    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn end(&self) -> ParseError {
        if self.at_eof {
            ParseError::Invalid(format!(
                "unexpected end of file at offset {}",
                self.offset()
            ))
        } else {
            ParseError::Incomplete
        }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Reads a run of regular characters (a keyword or number).
    pub(crate) fn token(&mut self) -> PResult<&'a [u8]> {
        self.skip_ws();
        let start = self.pos;
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == self.buf.len() && !self.at_eof {
            return Err(ParseError::Incomplete);
        }
        Ok(&self.buf[start..self.pos])
    }

    /// Reads an unsigned integer token.
    pub(crate) fn uint(&mut self) -> PResult<u64> {
        let at = self.offset();
        let tok = self.token()?;
        parse_uint(tok).map_or_else(|| invalid("expected a number", at), Ok)
    }

    /// Expects the keyword `kw`.
    pub(crate) fn keyword(&mut self, kw: &[u8]) -> PResult<()> {
        let at = self.offset();
        let tok = self.token()?;
        if tok == kw {
            Ok(())
        } else {
            invalid(&format!("expected {}", String::from_utf8_lossy(kw)), at)
        }
    }

    /// Parses one direct object (references `N G R` included).
    pub(crate) fn object(&mut self) -> PResult<Object> {
        self.object_depth(0)
    }

    fn object_depth(&mut self, depth: usize) -> PResult<Object> {
        if depth > MAX_DEPTH {
            return invalid("objects nested too deeply", self.offset());
        }
        self.skip_ws();
        let at = self.offset();
        let Some(b) = self.peek() else {
            return Err(self.end());
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name_body()?))
            }
            b'(' => self.literal_string(),
            b'<' => {
                if self.buf.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Ok(Object::Dict(self.dict_body(depth)?))
                } else if self.pos + 1 >= self.buf.len() {
                    Err(self.end())
                } else {
                    self.hex_string()
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(self.end()),
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.object_depth(depth + 1)?),
                    }
                }
            }
            b')' | b'>' | b']' | b'{' | b'}' => invalid("unexpected delimiter", at),
            _ => {
                let tok = self.token()?;
                match tok {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => self.number_or_ref(tok, at),
                }
            }
        }
    }

    fn number_or_ref(&mut self, tok: &[u8], at: u64) -> PResult<Object> {
        if let Some(num) = parse_uint(tok) {
            // Look ahead for "G R".
            let save = self.pos;
            let gen_tok = self.token();
            if let Ok(gen_tok) = gen_tok
                && let Some(generation) = parse_uint(gen_tok)
            {
                let r = self.token();
                if let Ok(b"R") = r
                    && let (Ok(n), Ok(g)) = (u32::try_from(num), u16::try_from(generation))
                {
                    return Ok(Object::Ref(n, g));
                }
                if r == Err(ParseError::Incomplete) {
                    return Err(ParseError::Incomplete);
                }
            } else if gen_tok == Err(ParseError::Incomplete) {
                return Err(ParseError::Incomplete);
            }
            self.pos = save;
        }
        let text = std::str::from_utf8(tok).unwrap_or("");
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Object::Int(i));
        }
        if !text.is_empty()
            && text
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'+')
            && let Ok(f) = text.parse::<f64>()
        {
            return Ok(Object::Real(f));
        }
        if text.is_empty() {
            return invalid("unexpected character", at);
        }
        invalid(
            &format!(
                "unexpected token {:?}",
                text.chars().take(20).collect::<String>()
            ),
            at,
        )
    }

    fn name_body(&mut self) -> PResult<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let hex = self.buf.get(self.pos..self.pos + 2);
                if let Some(v) = hex.and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                }) {
                    out.push(v);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(b);
        }
        if self.pos == self.buf.len() && !self.at_eof {
            return Err(ParseError::Incomplete);
        }
        Ok(out)
    }

    fn literal_string(&mut self) -> PResult<Object> {
        let start = self.offset();
        self.pos += 1;
        let mut out = Vec::new();
        let mut nesting = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.end());
            };
            self.pos += 1;
            match b {
                b'(' => {
                    nesting += 1;
                    out.push(b);
                }
                b')' => {
                    nesting -= 1;
                    if nesting == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.end());
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        Ok(Object::Str {
            bytes: out,
            span: (start, self.offset()),
        })
    }

    fn hex_string(&mut self) -> PResult<Object> {
        let start = self.offset();
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.end());
            };
            self.pos += 1;
            let v = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ if is_whitespace(b) => continue,
                _ => return invalid("bad character in hex string", self.offset() - 1),
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(Object::Str {
            bytes: out,
            span: (start, self.offset()),
        })
    }

    fn dict_body(&mut self, depth: usize) -> PResult<Dict> {
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            let at = self.offset();
            match self.peek() {
                None => return Err(self.end()),
                Some(b'>') => {
                    if self.buf.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        return Ok(Dict(entries));
                    }
                    if self.pos + 1 >= self.buf.len() {
                        return Err(self.end());
                    }
                    return invalid("expected >>", at);
                }
                Some(b'/') => {
                    self.pos += 1;
                    let key = self.name_body()?;
                    let value = self.object_depth(depth + 1)?;
                    entries.push((key, value));
                }
                Some(_) => return invalid("expected a name key in dictionary", at),
            }
        }
    }

    /// After a stream dictionary: consumes `stream` and its end-of-line and
    /// returns the absolute offset where the data begins, or `None` when
    /// the object is not a stream.
    pub(crate) fn stream_start(&mut self) -> PResult<Option<u64>> {
        self.skip_ws();
        if self.buf.len() - self.pos < 8 && !self.at_eof {
            return Err(ParseError::Incomplete);
        }
        if !self.buf[self.pos..].starts_with(b"stream") {
            return Ok(None);
        }
        self.pos += 6;
        match self.peek() {
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => {}
        }
        Ok(Some(self.offset()))
    }
}

pub(crate) fn parse_uint(tok: &[u8]) -> Option<u64> {
    if tok.is_empty() || tok.len() > 19 || !tok.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(tok).ok()?.parse().ok()
}

/// Decodes a PDF text string: UTF-16BE with BOM, UTF-8 with BOM, or
/// PDFDocEncoding (read as Latin-1, which agrees on the printable range).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|b| char::from(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> PResult<Object> {
        Parser::new(s, 0, true).object()
    }

    #[test]
    fn references_and_numbers_are_told_apart() {
        let o = parse(b"[1 0 R 2 3 4.5 -1]").unwrap_or(Object::Null);
        let Object::Array(items) = o else {
            panic!("not an array")
        };
        assert!(matches!(items[0], Object::Ref(1, 0)));
        assert!(matches!(items[1], Object::Int(2)));
        assert!(matches!(items[2], Object::Int(3)));
        assert!(matches!(items[3], Object::Real(_)));
        assert!(matches!(items[4], Object::Int(-1)));
    }

    #[test]
    fn hex_string_span_includes_the_angle_brackets() {
        let o = parse(b"<< /Contents <0A0b> >>").unwrap_or(Object::Null);
        let Some(Object::Str { bytes, span }) =
            o.as_dict().and_then(|d| d.get(b"Contents")).cloned()
        else {
            panic!("no string")
        };
        assert_eq!(bytes, vec![0x0a, 0x0b]);
        assert_eq!(span, (13, 19));
    }

    #[test]
    fn unterminated_input_is_incomplete_unless_at_eof() {
        assert_eq!(
            Parser::new(b"<< /A [1 2", 0, false).object().err(),
            Some(ParseError::Incomplete)
        );
        assert!(matches!(
            Parser::new(b"<< /A [1 2", 0, true).object(),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = vec![b'['; 10_000];
        assert!(matches!(
            Parser::new(&deep, 0, true).object(),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn text_strings_decode_utf16() {
        assert_eq!(text_string(&[0xfe, 0xff, 0x00, 0x4e, 0x1e, 0xc5]), "Nễ");
    }
}
