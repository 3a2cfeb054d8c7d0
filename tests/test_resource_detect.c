/* Resource detectors: host, os, process, container (cgroup v1 and v2 files
 * recorded under tests/fixtures/cgroup), the COTEL_RESOURCE_DETECTORS switch,
 * and the merge order (detected < environment < code). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotel/cotel.h"
#include "support/internal.h"
#include "test_util.h"

/* tests/fixtures/cgroup/<name> into a static buffer; NULL when absent. */
static const char *fixture(const char *name, char *buf, size_t cap) {
  const char *src = getenv("COTEL_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fixtures/cgroup/%s", src ? src : "..",
           name);
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* The detector's answer for the recorded <name>.cgroup / .mountinfo, and the
 * expected <name>.id (NULL when the case has no container id). */
static void check_case(const char *name) {
  static char cg[16384], mi[16384], want[128];
  char f[128];
  snprintf(f, sizeof f, "%s.cgroup", name);
  const char *cgroup = fixture(f, cg, sizeof cg);
  assert_non_null(cgroup);
  snprintf(f, sizeof f, "%s.mountinfo", name);
  const char *mountinfo = fixture(f, mi, sizeof mi);
  snprintf(f, sizeof f, "%s.id", name);
  const char *id = fixture(f, want, sizeof want);
  char got[65];
  int rc = cotel__container_id(cgroup, mountinfo, got);
  if (id) {
    assert_int_equal(rc, 0);
    assert_memory_equal(got, id, 64);
    assert_int_equal(strlen(got), 64);
  } else {
    assert_int_equal(rc, COTEL_ENOTFOUND);
  }
}

static void test_container_id_is_read_from_cgroup_v1_docker(void **state) {
  (void)state;
  check_case("v1-docker");
}

static void
test_container_id_is_read_from_cgroup_v1_kubernetes_paths(void **state) {
  (void)state;
  check_case("v1-kubernetes-systemd");  /* cri-containerd-<id>.scope */
  check_case("v1-kubernetes-cgroupfs"); /* /kubepods/<qos>/pod<uid>/<id> */
}

static void
test_container_id_is_read_from_cgroup_v2_in_the_host_namespace(void **state) {
  (void)state;
  check_case("v2-host-namespace"); /* 0::/system.slice/docker-<id>.scope */
}

static void
test_container_id_is_read_from_mountinfo_under_cgroup_v2(void **state) {
  (void)state;
  check_case("v2-docker"); /* 0::/ and /var/lib/docker/containers/<id>/ */
  check_case("v2-podman"); /* .../overlay-containers/<id>/userdata/ */
}

static void test_container_id_is_absent_outside_a_container(void **state) {
  (void)state;
  check_case("v2-host-session");
  check_case("v1-not-a-container-id"); /* a 32-digit segment is no id */
}

static void test_container_id_is_never_a_kubernetes_sandbox_id(void **state) {
  (void)state;
  /* containerd under cgroup v2 mounts the pod sandbox's hostname: that id
   * names the pod, not this container, so nothing is reported. */
  check_case("v2-kubernetes-containerd");
}

static void test_container_id_parsers_reject_malformed_text(void **state) {
  (void)state;
  char id[65];
  const char *bad[] = {
      "",
      "0::",
      "1:cpu:/docker/" /* 63 digits */
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",
      "1:cpu:/docker/" /* uppercase */
      "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
      "no colons at all 0123456789abcdef0123456789abcdef0123456789abcdef",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(cotel__container_id(bad[i], bad[i], id), COTEL_ENOTFOUND);
  assert_int_equal(cotel__container_id_from_cgroup(NULL, id), COTEL_EINVAL);
}

/* ---- detectors through the provider ---- */

static const cotel_attr *res_find(cotel_provider *p, const char *key) {
  const cotel_resource *r = cotel_provider_resource(p);
  for (uint32_t i = 0; i < r->n_attrs; i++)
    if (r->attrs[i].key.len == strlen(key) &&
        !memcmp(r->attrs[i].key.ptr, key, strlen(key)))
      return &r->attrs[i];
  return NULL;
}

static void assert_str_attr(cotel_provider *p, const char *key,
                            const char *want) {
  const cotel_attr *a = res_find(p, key);
  assert_non_null(a);
  assert_int_equal(a->type, COTEL_ATTR_STRING);
  assert_int_equal(a->v.s.len, strlen(want));
  assert_memory_equal(a->v.s.ptr, want, a->v.s.len);
}

static cotel_provider *provider_with(const char *detectors_env,
                                     uint32_t detectors_override) {
  unsetenv("OTEL_SERVICE_NAME");
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  if (detectors_env)
    setenv("COTEL_RESOURCE_DETECTORS", detectors_env, 1);
  else
    unsetenv("COTEL_RESOURCE_DETECTORS");
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  if (detectors_override) cfg.resource_detectors = detectors_override;
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  unsetenv("COTEL_RESOURCE_DETECTORS");
  return p;
}

static void test_resource_detects_host_os_and_process_by_default(void **state) {
  (void)state;
  cotel_provider *p = provider_with(NULL, 0);
  char host[256] = "";
  assert_int_equal(gethostname(host, sizeof host), 0);
  assert_str_attr(p, COTEL_ATTR_HOST_NAME, host);
  assert_non_null(res_find(p, COTEL_ATTR_HOST_ARCH));
  assert_str_attr(p, COTEL_ATTR_OS_TYPE, COTEL_OS_TYPE_VALUE_LINUX);
  const cotel_attr *desc = res_find(p, COTEL_ATTR_OS_DESCRIPTION);
  assert_non_null(desc);
  assert_memory_equal(desc->v.s.ptr, "Linux ", 6);
  const cotel_attr *pid = res_find(p, COTEL_ATTR_PROCESS_PID);
  assert_non_null(pid);
  assert_int_equal(pid->type, COTEL_ATTR_INT);
  assert_int_equal(pid->v.i, getpid());
  assert_str_attr(p, COTEL_ATTR_PROCESS_EXECUTABLE_NAME,
                  "test_resource_detect");
  const cotel_attr *path = res_find(p, COTEL_ATTR_PROCESS_EXECUTABLE_PATH);
  assert_non_null(path);
  assert_int_equal(path->v.s.ptr[0], '/');
  assert_str_attr(p, COTEL_ATTR_PROCESS_RUNTIME_NAME, "glibc");
  assert_non_null(res_find(p, COTEL_ATTR_PROCESS_RUNTIME_VERSION));
  assert_non_null(res_find(p, COTEL_ATTR_PROCESS_COMMAND));
  /* The command line may hold secrets: only when asked for. */
  assert_null(res_find(p, COTEL_ATTR_PROCESS_COMMAND_ARGS));
  cotel_provider_destroy(p);
}

static void test_host_arch_uses_the_conventions_names(void **state) {
  (void)state;
  assert_string_equal(cotel__host_arch("x86_64"), COTEL_HOST_ARCH_VALUE_AMD64);
  assert_string_equal(cotel__host_arch("aarch64"), COTEL_HOST_ARCH_VALUE_ARM64);
  assert_string_equal(cotel__host_arch("i686"), COTEL_HOST_ARCH_VALUE_X86);
  assert_string_equal(cotel__host_arch("armv7l"), COTEL_HOST_ARCH_VALUE_ARM32);
  assert_string_equal(cotel__host_arch("ppc64le"), COTEL_HOST_ARCH_VALUE_PPC64);
  assert_string_equal(cotel__host_arch("riscv64"), "riscv64");
}

static void test_resource_environment_wins_over_detected_values(void **state) {
  (void)state;
  setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=from-env,os.type=from-env", 1);
  setenv("OTEL_SERVICE_NAME", "svc", 1);
  cotel_provider_config cfg;
  cotel_provider_config_defaults(&cfg);
  cotel_attr code = cotel_attr_string("os.type", "from-code");
  cfg.resource_attrs = &code;
  cfg.n_resource_attrs = 1;
  cotel_provider *p = NULL;
  assert_int_equal(cotel_provider_new(&cfg, &p), 0);
  assert_str_attr(p, COTEL_ATTR_HOST_NAME, "from-env");
  assert_str_attr(p, COTEL_ATTR_OS_TYPE, "from-code");
  assert_str_attr(p, COTEL_ATTR_SERVICE_NAME, "svc");
  cotel_provider_destroy(p);
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  unsetenv("OTEL_SERVICE_NAME");
}

static void test_resource_detectors_env_turns_each_off(void **state) {
  (void)state;
  cotel_provider *p = provider_with("os, container", 0);
  assert_null(res_find(p, COTEL_ATTR_HOST_NAME));
  assert_null(res_find(p, COTEL_ATTR_PROCESS_PID));
  assert_non_null(res_find(p, COTEL_ATTR_OS_TYPE));
  cotel_provider_destroy(p);
  p = provider_with("none", 0);
  assert_null(res_find(p, COTEL_ATTR_HOST_NAME));
  assert_null(res_find(p, COTEL_ATTR_OS_TYPE));
  assert_null(res_find(p, COTEL_ATTR_PROCESS_PID));
  assert_str_attr(p, COTEL_ATTR_TELEMETRY_SDK_NAME, "cotel");
  cotel_provider_destroy(p);
  /* Code wins over the environment. */
  p = provider_with("none", COTEL_RESOURCE_DETECTOR_HOST);
  assert_non_null(res_find(p, COTEL_ATTR_HOST_NAME));
  assert_null(res_find(p, COTEL_ATTR_OS_TYPE));
  cotel_provider_destroy(p);
}

static void test_resource_command_line_only_when_asked(void **state) {
  (void)state;
  cotel_provider *p = provider_with("process,command_line", 0);
  const cotel_attr *a = res_find(p, COTEL_ATTR_PROCESS_COMMAND_ARGS);
  assert_non_null(a);
  assert_int_equal(a->type, COTEL_ATTR_STRING_ARRAY);
  assert_true(a->v.arr.count >= 1);
  const cotel_str *args = a->v.arr.items;
  assert_non_null(strstr(args[0].ptr, "test_resource_detect"));
  cotel_provider_destroy(p);
}

static void test_resource_detector_list_parses_names(void **state) {
  (void)state;
  assert_int_equal(cotel__resource_detectors_parse(NULL), 0);
  assert_int_equal(cotel__resource_detectors_parse(""), 0);
  assert_int_equal(cotel__resource_detectors_parse(" host ,os,"),
                   COTEL_RESOURCE_DETECTOR_HOST | COTEL_RESOURCE_DETECTOR_OS);
  assert_int_equal(cotel__resource_detectors_parse("none"),
                   COTEL_RESOURCE_DETECTOR_NONE);
  assert_int_equal(cotel__resource_detectors_parse("bogus,container"),
                   COTEL_RESOURCE_DETECTOR_CONTAINER);
  assert_int_equal(cotel__resource_detectors_parse("none,process"),
                   COTEL_RESOURCE_DETECTOR_PROCESS);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_container_id_is_read_from_cgroup_v1_docker),
      cmocka_unit_test(
          test_container_id_is_read_from_cgroup_v1_kubernetes_paths),
      cmocka_unit_test(
          test_container_id_is_read_from_cgroup_v2_in_the_host_namespace),
      cmocka_unit_test(
          test_container_id_is_read_from_mountinfo_under_cgroup_v2),
      cmocka_unit_test(test_container_id_is_absent_outside_a_container),
      cmocka_unit_test(test_container_id_is_never_a_kubernetes_sandbox_id),
      cmocka_unit_test(test_container_id_parsers_reject_malformed_text),
      cmocka_unit_test(test_resource_detects_host_os_and_process_by_default),
      cmocka_unit_test(test_host_arch_uses_the_conventions_names),
      cmocka_unit_test(test_resource_environment_wins_over_detected_values),
      cmocka_unit_test(test_resource_detectors_env_turns_each_off),
      cmocka_unit_test(test_resource_command_line_only_when_asked),
      cmocka_unit_test(test_resource_detector_list_parses_names),
  };
  return cotel_test_run(argc, argv, "resource_detect", tests);
}
