//! edXML
