/* httpkit: a minimal, strict JSON parser and writer (RFC 8259).
 *
 * Recursive descent with a depth limit, so hostile input cannot exhaust the
 * stack; every failure frees what was built and reports COTEL_EPARSE. */
#include <stdlib.h>
#include <string.h>

#include "httpkit.h"

typedef struct parser {
  const char *p;
  const char *end;
  int depth;
  int err;
} parser;

static void skip_ws(parser *ps) {
  while (ps->p < ps->end &&
         (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static hk_json *new_value(parser *ps, hk_json_type t) {
  hk_json *v = calloc(1, sizeof(*v));
  if (!v)
    ps->err = COTEL_ENOMEM;
  else
    v->type = t;
  return v;
}

static int push(hk_json ***arr, size_t n, hk_json *item) {
  /* Capacity is implied by n: 4, then doubled at every power of two. */
  size_t cap = n == 0 ? 4 : (n >= 4 && (n & (n - 1)) == 0) ? n * 2 : 0;
  if (cap) {
    hk_json **a = realloc(*arr, cap * sizeof(*a));
    if (!a) return COTEL_ENOMEM;
    *arr = a;
  }
  (*arr)[n] = item;
  return 0;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

static int put_utf8(hk_buf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return hk_buf_append(b, u, n);
}

/* Decode a string literal starting at the opening quote. */
static hk_json *parse_string(parser *ps) {
  hk_buf b = {0};
  ps->p++; /* opening quote */
  if (hk_buf_append(&b, "", 0)) goto nomem;
  while (ps->p < ps->end) {
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"') {
      ps->p++;
      hk_json *v = new_value(ps, HK_JSON_STRING);
      if (!v) goto fail;
      v->str = b.data;
      v->len = b.len;
      return v;
    }
    if (c < 0x20) goto bad; /* control characters must be escaped */
    if (c != '\\') {
      const char *run = ps->p;
      while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
             (unsigned char)*ps->p >= 0x20)
        ps->p++;
      if (hk_buf_append(&b, run, (size_t)(ps->p - run))) goto nomem;
      continue;
    }
    if (ps->end - ps->p < 2) goto bad;
    char e = ps->p[1];
    ps->p += 2;
    char out;
    switch (e) {
    case '"':
      out = '"';
      break;
    case '\\':
      out = '\\';
      break;
    case '/':
      out = '/';
      break;
    case 'b':
      out = '\b';
      break;
    case 'f':
      out = '\f';
      break;
    case 'n':
      out = '\n';
      break;
    case 'r':
      out = '\r';
      break;
    case 't':
      out = '\t';
      break;
    case 'u': {
      unsigned cp, lo;
      if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) goto bad;
      ps->p += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must be followed by an escaped low one. */
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
            hex4(ps->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
          goto bad;
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        goto bad;
      }
      if (put_utf8(&b, cp)) goto nomem;
      continue;
    }
    default:
      goto bad;
    }
    if (hk_buf_append(&b, &out, 1)) goto nomem;
  }
bad:
  ps->err = COTEL_EPARSE;
  goto fail;
nomem:
  ps->err = COTEL_ENOMEM;
fail:
  hk_buf_free(&b);
  return NULL;
}

static bool is_digit(const parser *ps) {
  return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static hk_json *parse_number(parser *ps) {
  const char *start = ps->p;
  if (ps->p < ps->end && *ps->p == '-') ps->p++;
  if (!is_digit(ps)) goto bad;
  if (*ps->p == '0')
    ps->p++; /* no leading zeros */
  else
    while (is_digit(ps))
      ps->p++;
  if (ps->p < ps->end && *ps->p == '.') {
    ps->p++;
    if (!is_digit(ps)) goto bad;
    while (is_digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
    if (!is_digit(ps)) goto bad;
    while (is_digit(ps))
      ps->p++;
  }
  hk_json *v = new_value(ps, HK_JSON_NUMBER);
  if (!v) return NULL;
  v->len = (size_t)(ps->p - start);
  v->str = malloc(v->len + 1);
  if (!v->str) {
    free(v);
    ps->err = COTEL_ENOMEM;
    return NULL;
  }
  memcpy(v->str, start, v->len);
  v->str[v->len] = '\0';
  return v;
bad:
  ps->err = COTEL_EPARSE;
  return NULL;
}

static bool literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return false;
  ps->p += n;
  return true;
}

static hk_json *parse_value(parser *ps);

/* Array or object; `close` is ']' or '}'. */
static hk_json *parse_container(parser *ps, hk_json_type t, char close) {
  if (++ps->depth > HK_JSON_MAX_DEPTH) {
    ps->err = COTEL_EPARSE;
    return NULL;
  }
  hk_json *v = new_value(ps, t);
  if (!v) return NULL;
  ps->p++; /* opening bracket */
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    ps->depth--;
    return v;
  }
  for (;;) {
    hk_json *key = NULL;
    skip_ws(ps);
    if (t == HK_JSON_OBJECT) {
      if (ps->p >= ps->end || *ps->p != '"') goto bad;
      key = parse_string(ps);
      if (!key) goto fail;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        hk_json_free(key);
        goto bad;
      }
      ps->p++;
    }
    hk_json *item = parse_value(ps);
    if (!item) {
      hk_json_free(key);
      goto fail;
    }
    if (push(&v->items, v->n, item) || (key && push(&v->keys, v->n, key))) {
      /* items[n] may be stored already: free the loose ones by hand. */
      hk_json_free(item);
      hk_json_free(key);
      ps->err = COTEL_ENOMEM;
      goto fail;
    }
    v->n++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      ps->depth--;
      return v;
    }
    goto bad;
  }
bad:
  ps->err = COTEL_EPARSE;
fail:
  hk_json_free(v);
  return NULL;
}

static hk_json *parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    ps->err = COTEL_EPARSE;
    return NULL;
  }
  hk_json *v;
  switch (*ps->p) {
  case '{':
    return parse_container(ps, HK_JSON_OBJECT, '}');
  case '[':
    return parse_container(ps, HK_JSON_ARRAY, ']');
  case '"':
    return parse_string(ps);
  case 't':
  case 'f': {
    bool t = literal(ps, "true");
    if (!t && !literal(ps, "false")) break;
    v = new_value(ps, HK_JSON_BOOL);
    if (v) v->boolean = t;
    return v;
  }
  case 'n':
    if (!literal(ps, "null")) break;
    return new_value(ps, HK_JSON_NULL);
  default:
    return parse_number(ps);
  }
  ps->err = COTEL_EPARSE;
  return NULL;
}

int hk_json_parse(const char *s, size_t len, hk_json **out) {
  if (!out) return COTEL_EINVAL;
  *out = NULL;
  if (!s) return COTEL_EINVAL;
  parser ps = {s, s + len, 0, 0};
  hk_json *v = parse_value(&ps);
  if (!v) return ps.err ? ps.err : COTEL_EPARSE;
  skip_ws(&ps);
  if (ps.p != ps.end) {
    hk_json_free(v);
    return COTEL_EPARSE;
  }
  *out = v;
  return 0;
}

void hk_json_free(hk_json *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n; i++) {
    hk_json_free(v->items[i]);
    if (v->keys) hk_json_free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
  free(v);
}

int hk_json_write_string(hk_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  int rc = hk_buf_append(out, "\"", 1);
  for (size_t i = 0; i < len && rc == 0; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"')
      rc = hk_buf_append(out, "\\\"", 2);
    else if (c == '\\')
      rc = hk_buf_append(out, "\\\\", 2);
    else if (c == '\n')
      rc = hk_buf_append(out, "\\n", 2);
    else if (c == '\r')
      rc = hk_buf_append(out, "\\r", 2);
    else if (c == '\t')
      rc = hk_buf_append(out, "\\t", 2);
    else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      rc = hk_buf_append(out, esc, 6);
    } else {
      rc = hk_buf_append(out, &s[i], 1);
    }
  }
  return rc ? rc : hk_buf_append(out, "\"", 1);
}

int hk_json_write(const hk_json *v, hk_buf *out) {
  int rc = 0;
  switch (v->type) {
  case HK_JSON_NULL:
    return hk_buf_puts(out, "null");
  case HK_JSON_BOOL:
    return hk_buf_puts(out, v->boolean ? "true" : "false");
  case HK_JSON_NUMBER:
    return hk_buf_append(out, v->str, v->len);
  case HK_JSON_STRING:
    return hk_json_write_string(out, v->str, v->len);
  case HK_JSON_ARRAY:
  case HK_JSON_OBJECT: {
    bool obj = v->type == HK_JSON_OBJECT;
    rc = hk_buf_append(out, obj ? "{" : "[", 1);
    for (size_t i = 0; i < v->n && rc == 0; i++) {
      if (i) rc = hk_buf_append(out, ",", 1);
      if (obj && rc == 0) {
        rc = hk_json_write_string(out, v->keys[i]->str, v->keys[i]->len);
        if (rc == 0) rc = hk_buf_append(out, ":", 1);
      }
      if (rc == 0) rc = hk_json_write(v->items[i], out);
    }
    return rc ? rc : hk_buf_append(out, obj ? "}" : "]", 1);
  }
  }
  return COTEL_EINVAL;
}

const hk_json *hk_json_get(const hk_json *v, const char *key) {
  if (!v || v->type != HK_JSON_OBJECT) return NULL;
  size_t klen = strlen(key);
  const hk_json *found = NULL;
  for (size_t i = 0; i < v->n; i++)
    if (v->keys[i]->len == klen && memcmp(v->keys[i]->str, key, klen) == 0)
      found = v->items[i];
  return found;
}
