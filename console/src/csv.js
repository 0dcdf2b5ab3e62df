// The 1-based file line on which each CSV record starts (RFC 4180: a quoted field may span
// lines), so that the import report can show every row with the errors the buildings service
// gives by line. The header is the first record; empty lines are not records.
export function recordStartLines(text) {
  const starts = [];
  let line = 1;
  let inQuotes = false;
  let atRecordStart = true;
  let recordHasContent = false;
  let startLine = 1;
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (atRecordStart) {
      startLine = line;
      atRecordStart = false;
      recordHasContent = false;
    }
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') i++;
        else inQuotes = false;
      } else if (c === '\n') {
        line++;
      } else if (c === '\r') {
        if (s[i + 1] === '\n') i++;
        line++;
      }
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      recordHasContent = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      if (recordHasContent) starts.push(startLine);
      line++;
      atRecordStart = true;
    } else {
      recordHasContent = true;
    }
  }
  if (!atRecordStart && recordHasContent) starts.push(startLine);
  return starts;
}

// Decodes a file's bytes as UTF-8, or GB18030 when they are not UTF-8 (files saved by Excel
// in China); the buildings service reads the text as given.
export function decodeCsv(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}
