# SPDX-License-Identifier: GPL-2.0
"""wbxml.py - the WBXML of Exchange ActiveSync (MS-ASWBXML), for the CAS
lab's client: an encoder and a decoder for the code pages the client
speaks. An element is a tuple (name, content): name is "Page:Tag" (the
page's XML namespace without its colon, e.g. "FolderHierarchy:FolderSync")
and content is a string, None (an empty element) or a list of elements.
The tables are checked against libwbxml's (xml2wbxml) by
tests/integration/test_lab.sh, through `python3 wbxml.py --check`.
"""
import sys

# Code page -> (namespace, tags from token 0x05 on). Only the pages the
# lab's requests and SOGo's answers to them use.
PAGES = {
    0: ("AirSync", [
        "Sync", "Responses", "Add", "Change", "Delete", "Fetch", "SyncKey",
        "ClientId", "ServerId", "Status", "Collection", "Class", "Version",
        "CollectionId", "GetChanges", "MoreAvailable", "WindowSize",
        "Commands", "Options", "FilterType", "Truncation", "RTFTruncation",
        "Conflict", "Collections", "ApplicationData", "DeletesAsMoves",
        "NotifyGUID", "Supported", "SoftDelete", "MIMESupport",
        "MIMETruncation", "Wait", "Limit", "Partial", "ConversationMode",
        "MaxItems", "HeartbeatInterval"]),
    7: ("FolderHierarchy", [
        "Folders", "Folder", "DisplayName", "ServerId", "ParentId", "Type",
        "Response", "Status", "ContentClass", "Changes", "Add", "Delete",
        "Update", "SyncKey", "FolderCreate", "FolderDelete", "FolderUpdate",
        "FolderSync", "Count", "Version"]),
    13: ("Ping", [
        "Ping", "AutdState", "Status", "HeartbeatInterval", "Folders",
        "Folder", "Id", "Class", "MaxFolders"]),
    14: ("Provision", [
        "Provision", "Policies", "Policy", "PolicyType", "PolicyKey", "Data",
        "Status", "RemoteWipe", "EASProvisionDoc"]),
}
_TOKEN = {}  # "Page:Tag" -> (page, token)
for _page, (_ns, _tags) in PAGES.items():
    for _i, _tag in enumerate(_tags):
        _TOKEN["%s:%s" % (_ns, _tag)] = (_page, 0x05 + _i)

SWITCH_PAGE, END, STR_I, STR_T, OPAQUE = 0x00, 0x01, 0x03, 0x83, 0xC3
HAS_CONTENT = 0x40
# WBXML 1.3, no public identifier (0x01: unknown), UTF-8 (MIBenum 106),
# no string table: the header ActiveSync expects (03 01 6A 00).
HEADER = bytes([0x03, 0x01, 0x6A, 0x00])


def encode(element):
    """The WBXML document of one element tree."""
    out = bytearray(HEADER)
    page = [0]

    def emit(node):
        name, content = node
        if name not in _TOKEN:
            raise ValueError("wbxml: no token for %s" % name)
        cp, token = _TOKEN[name]
        if cp != page[0]:
            out.extend((SWITCH_PAGE, cp))
            page[0] = cp
        if content is None or content == []:
            out.append(token)
            return
        out.append(token | HAS_CONTENT)
        if isinstance(content, str):
            out.append(STR_I)
            out.extend(content.encode("utf-8"))
            out.append(0)
        else:
            for child in content:
                emit(child)
        out.append(END)

    emit(element)
    return bytes(out)


def _mb_uint(data, pos):
    value = 0
    while True:
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos


def decode(data):
    """The element tree of a WBXML document (opaque data as bytes)."""
    if len(data) < 4 or data[0] != 0x03:
        raise ValueError("wbxml: not a WBXML 1.3 document")
    pos = 1
    _, pos = _mb_uint(data, pos)  # public identifier
    _, pos = _mb_uint(data, pos)  # charset
    strtbl_len, pos = _mb_uint(data, pos)
    strtbl = data[pos:pos + strtbl_len]
    pos += strtbl_len
    page = 0
    stack = [("", [])]
    while pos < len(data):
        byte = data[pos]
        pos += 1
        if byte == SWITCH_PAGE:
            page = data[pos]
            pos += 1
        elif byte == END:
            node = stack.pop()
            stack[-1][1].append(node)
        elif byte == STR_I:
            end = data.index(0, pos)
            stack[-1][1].append(data[pos:end].decode("utf-8", "replace"))
            pos = end + 1
        elif byte == STR_T:
            offset, pos = _mb_uint(data, pos)
            end = strtbl.index(0, offset)
            stack[-1][1].append(strtbl[offset:end].decode("utf-8", "replace"))
        elif byte == OPAQUE:
            length, pos = _mb_uint(data, pos)
            stack[-1][1].append(data[pos:pos + length])
            pos += length
        else:
            token = byte & 0x3F
            ns, tags = PAGES.get(page, ("cp%d" % page, []))
            index = token - 0x05
            tag = tags[index] if 0 <= index < len(tags) else "0x%02x" % token
            name = "%s:%s" % (ns, tag)
            if byte & 0x80:
                raise ValueError("wbxml: attributes are not used by ActiveSync")
            if byte & HAS_CONTENT:
                stack.append((name, []))
            else:
                stack[-1][1].append((name, None))
    if len(stack) != 1 or len(stack[0][1]) != 1:
        raise ValueError("wbxml: unbalanced document")
    return _simplify(stack[0][1][0])


def _simplify(node):
    """A text-only element's content becomes its string."""
    name, content = node
    if content is None:
        return node
    if all(isinstance(c, str) for c in content):
        return (name, "".join(content))
    return (name, [_simplify(c) if isinstance(c, tuple) else c for c in content])


def find(node, path):
    """Every element under node along path ("Tag/Tag", names without page)."""
    found = [node]
    for part in path.split("/"):
        nxt = []
        for name, content in found:
            if isinstance(content, list):
                nxt.extend(c for c in content
                           if isinstance(c, tuple) and c[0].split(":", 1)[1] == part)
        found = nxt
    return found


def text(node, path, default=None):
    """The text of the first element along path, or default."""
    hits = find(node, path)
    return hits[0][1] if hits and isinstance(hits[0][1], str) else default


def to_xml(node, indent=""):
    """An element tree as indented XML, for people reading a log."""
    name, content = node
    tag = name.split(":", 1)[1]
    if content is None:
        return "%s<%s/>\n" % (indent, tag)
    if isinstance(content, (str, bytes)):
        return "%s<%s>%s</%s>\n" % (indent, tag, content, tag)
    inner = "".join(to_xml(c, indent + "  ") if isinstance(c, tuple) else
                    indent + "  " + repr(c) + "\n" for c in content)
    return "%s<%s>\n%s%s</%s>\n" % (indent, tag, inner, indent, tag)


def check_tables():
    """Compare every tag's token with libwbxml's: one document per page."""
    import subprocess
    import tempfile
    failures = 0
    for page, (ns, tags) in sorted(PAGES.items()):
        body = "".join("<%s>x</%s>" % (t, t) for t in tags[1:])
        xml = ('<?xml version="1.0" encoding="utf-8"?>'
               '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" '
               '"http://www.microsoft.com/"><%s xmlns="%s:">%s</%s>'
               % (tags[0], ns, body, tags[0]))
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(xml)
            f.flush()
            theirs = subprocess.run(["xml2wbxml", "-v", "1.3", "-n", "-a", "-o", "-", f.name],
                                    capture_output=True, check=True).stdout
        ours = encode(("%s:%s" % (ns, tags[0]),
                       [("%s:%s" % (ns, t), "x") for t in tags[1:]]))
        if ours != theirs:
            failures += 1
            print("wbxml: page %d (%s): ours %s, xml2wbxml %s" % (page, ns, ours.hex(), theirs.hex()))
        elif decode(theirs) != decode(ours):
            failures += 1
            print("wbxml: page %d (%s): decodes differently" % (page, ns))
    print("wbxml: %d pages checked against xml2wbxml, %d differ" % (len(PAGES), failures))
    return failures == 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if check_tables() else 1)
    sys.exit("usage: wbxml.py --check")
