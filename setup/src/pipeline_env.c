/* The default span pipeline: OTEL_TRACES_EXPORTER (OTel SDK configuration,
 * "Exporter Selection"), a comma-separated list, each named exporter behind
 * its own batch processor. Unset, it is otlp, as the spec says (a program
 * that wants the console tree by default, like cotel-demo, builds its own
 * processor). Exporters are found by name in a small registry. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cotel/console.h"
#include "cotel/env.h"
#include "cotel/otlp.h"
#include "cotel/otlp_file.h"
#include "cotel/setup.h"

#define NAME_MAX_LEN 31
#define MAX_USER_EXPORTERS 16

typedef struct entry {
  char name[NAME_MAX_LEN + 1];
  cotel_exporter_factory_fn factory;
  void *ud;
} entry;

static int console_factory(void *ud, cotel_exporter **out) {
  (void)ud;
  return cotel_console_exporter_new(stdout, out);
}

/* OTLP with every OTEL_EXPORTER_OTLP_* variable applied. */
static int otlp_factory(void *ud, cotel_exporter **out) {
  (void)ud;
  return cotel_otlp_exporter_new_from_env(out);
}

/* OTLP/JSON lines to a file or stdout, OTEL_EXPORTER_OTLP_[TRACES_]FILE*
 * applied ("otlp/file" is the name other SDKs give it). */
static int otlp_file_factory(void *ud, cotel_exporter **out) {
  (void)ud;
  return cotel_otlp_file_exporter_new_from_env(out);
}

static const entry builtins[] = {
    {"console", console_factory, NULL},
    {"otlp", otlp_factory, NULL},
    {"otlp/file", otlp_file_factory, NULL},
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static entry user[MAX_USER_EXPORTERS];
static size_t n_user;

static bool valid_name(const char *name) {
  size_t n = strlen(name);
  if (!n || n > NAME_MAX_LEN) return false;
  for (size_t i = 0; i < n; i++)
    if (name[i] == ',' || name[i] == ' ' || name[i] == '\t') return false;
  return strcasecmp(name, "none") != 0;
}

int cotel_exporter_register(const char *name, cotel_exporter_factory_fn factory,
                            void *ud) {
  if (!name || !factory || !valid_name(name)) return COTEL_EINVAL;
  int rc = 0;
  pthread_mutex_lock(&reg_mu);
  size_t i = 0;
  while (i < n_user && strcasecmp(user[i].name, name))
    i++;
  if (i == n_user) {
    if (n_user == MAX_USER_EXPORTERS)
      rc = COTEL_EFULL;
    else
      n_user++;
  }
  if (!rc) {
    snprintf(user[i].name, sizeof user[i].name, "%s", name);
    user[i].factory = factory;
    user[i].ud = ud;
  }
  pthread_mutex_unlock(&reg_mu);
  return rc;
}

/* Copy of the entry named `name` (user registrations win). */
static bool lookup(const char *name, entry *out) {
  bool found = false;
  pthread_mutex_lock(&reg_mu);
  for (size_t i = 0; i < n_user && !found; i++)
    if (!strcasecmp(user[i].name, name)) {
      *out = user[i];
      found = true;
    }
  pthread_mutex_unlock(&reg_mu);
  for (size_t i = 0; !found && i < sizeof builtins / sizeof *builtins; i++)
    if (!strcasecmp(builtins[i].name, name)) {
      *out = builtins[i];
      found = true;
    }
  return found;
}

/* "console, otlp, otlp/file, none" plus user names, for the unknown-name
 * warning. */
static void accepted_names(char *buf, size_t cap) {
  size_t len = (size_t)snprintf(buf, cap, "console, otlp, otlp/file, none");
  pthread_mutex_lock(&reg_mu);
  for (size_t i = 0; i < n_user && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, ", %s", user[i].name);
  pthread_mutex_unlock(&reg_mu);
}

static void destroy_all(cotel_span_processor **procs, size_t n) {
  for (size_t i = 0; i < n; i++)
    procs[i]->destroy(procs[i]);
}

/* Add the processor for exporter `name` unless it is already in the list. */
static int add_named(const char *name, char seen[][NAME_MAX_LEN + 1],
                     cotel_span_processor **procs, size_t cap, size_t *n) {
  for (size_t i = 0; i < *n; i++)
    if (!strcasecmp(seen[i], name)) return 0; /* listed twice: once */
  entry e;
  if (!lookup(name, &e)) {
    char names[256];
    accepted_names(names, sizeof names);
    cotel_log(COTEL_LOG_WARN,
              "OTEL_TRACES_EXPORTER: unknown exporter \"%s\" skipped "
              "(accepted: %s)",
              name, names);
    return 0;
  }
  if (*n == cap) {
    cotel_log(COTEL_LOG_WARN,
              "OTEL_TRACES_EXPORTER: more than %zu exporters; \"%s\" skipped",
              cap, name);
    return 0;
  }
  cotel_exporter *exp = NULL;
  int rc = e.factory(e.ud, &exp);
  if (rc) return rc;
  rc = cotel_batch_processor_new(exp, NULL, &procs[*n]);
  if (rc) return rc;
  snprintf(seen[*n], NAME_MAX_LEN + 1, "%s", name);
  (*n)++;
  return 0;
}

/* The names of the comma-separated list v (trimmed, empty ones skipped,
 * each cut to NAME_MAX_LEN), at most `max`; their number. */
static size_t split_names(const char *v, char names[][NAME_MAX_LEN + 1],
                          size_t max) {
  size_t k = 0;
  const char *p = v;
  while (*p && k < max) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *e = p;
    while (*e && *e != ',')
      e++;
    const char *t = e; /* trim trailing blanks */
    while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
      t--;
    size_t len = (size_t)(t - p);
    if (len) {
      if (len > NAME_MAX_LEN) len = NAME_MAX_LEN;
      memcpy(names[k], p, len);
      names[k++][len] = '\0';
    }
    p = e;
  }
  return k;
}

int cotel_pipeline_from_env(cotel_span_processor **procs, size_t cap,
                            size_t *n) {
  if (!procs || !n) return COTEL_EINVAL;
  *n = 0;
  const char *v = cotel_env_str("OTEL_TRACES_EXPORTER");
  if (!v) v = "otlp";
  char names[2 * COTEL_MAX_DEFAULT_PROCESSORS][NAME_MAX_LEN + 1];
  size_t k = split_names(v, names, sizeof names / sizeof *names);
  /* Spec: "none" means no exporter, whatever else the list says; nothing
   * else is built (an exporter may open files or directories). */
  for (size_t i = 0; i < k; i++)
    if (!strcasecmp(names[i], "none")) {
      if (k > 1)
        cotel_log(COTEL_LOG_WARN,
                  "OTEL_TRACES_EXPORTER: \"none\" given with other "
                  "exporters; exporting nothing");
      return 0;
    }
  char seen[COTEL_MAX_DEFAULT_PROCESSORS][NAME_MAX_LEN + 1];
  if (cap > COTEL_MAX_DEFAULT_PROCESSORS) cap = COTEL_MAX_DEFAULT_PROCESSORS;
  int rc = 0;
  for (size_t i = 0; i < k && !rc; i++)
    rc = add_named(names[i], seen, procs, cap, n);
  if (rc) {
    destroy_all(procs, *n);
    *n = 0;
  }
  return rc;
}
