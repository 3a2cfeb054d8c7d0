/** @file
 * cotel: OpenTelemetry semantic-convention attribute names and well-known
 * values, as C string constants.
 *
 * The names and values are those of the OpenTelemetry semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/); use them instead of
 * string literals so that a typo is a compile error. Each group says its
 * stability in the specification: "stable" names do not change;
 * "development" names may still be renamed by a later version of the
 * conventions. tests/semconv_oracle.py checks every constant here against
 * the official opentelemetry-semantic-conventions package (stable groups in
 * its stable modules, development groups in its incubating ones, nothing
 * deprecated, every value a member of its attribute's enumeration).
 *
 * Naming: COTEL_ATTR_\<NAME\> is an attribute name ("http.request.method" is
 * COTEL_ATTR_HTTP_REQUEST_METHOD); COTEL_\<NAME\>_VALUE_\<MEMBER\> is one of
 * its well-known values (COTEL_HTTP_REQUEST_METHOD_VALUE_GET is "GET").
 *
 * Header only: nothing here is a function or takes memory. */
#ifndef COTEL_SEMCONV_H
#define COTEL_SEMCONV_H

/* ---- HTTP (stable) ---- */
/** HTTP request method, one of the COTEL_HTTP_REQUEST_METHOD_VALUE_* or
 * "_OTHER" when the method is not known (then the original goes in
 * http.request.method_original). */
#define COTEL_ATTR_HTTP_REQUEST_METHOD "http.request.method"
/** The method as sent, when http.request.method had to be "_OTHER". */
#define COTEL_ATTR_HTTP_REQUEST_METHOD_ORIGINAL "http.request.method_original"
/** Ordinal of a resent request (redirects, retries), int; absent on the
 * first attempt. */
#define COTEL_ATTR_HTTP_REQUEST_RESEND_COUNT "http.request.resend_count"
/** HTTP response status code, int. */
#define COTEL_ATTR_HTTP_RESPONSE_STATUS_CODE "http.response.status_code"
/** The matched route template (low cardinality), e.g. "/users/{id}". */
#define COTEL_ATTR_HTTP_ROUTE "http.route"
/** Prefix of captured request headers: "http.request.header.\<lowercase
 * name\>", a string array. */
#define COTEL_ATTR_HTTP_REQUEST_HEADER "http.request.header"
/** Prefix of captured response headers: "http.response.header.\<name\>". */
#define COTEL_ATTR_HTTP_RESPONSE_HEADER "http.response.header"

/* Known HTTP methods (RFC 9110, PATCH) and the catch-all "_OTHER". */
/** http.request.method = "CONNECT". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_CONNECT "CONNECT"
/** http.request.method = "DELETE". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_DELETE "DELETE"
/** http.request.method = "GET". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_GET "GET"
/** http.request.method = "HEAD". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_HEAD "HEAD"
/** http.request.method = "OPTIONS". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_OPTIONS "OPTIONS"
/** http.request.method = "PATCH". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_PATCH "PATCH"
/** http.request.method = "POST". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_POST "POST"
/** http.request.method = "PUT". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_PUT "PUT"
/** http.request.method = "TRACE". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_TRACE "TRACE"
/** http.request.method = "_OTHER". */
#define COTEL_HTTP_REQUEST_METHOD_VALUE_OTHER "_OTHER"

/* ---- URL (stable) ---- */
/** Absolute URL, credentials redacted ("REDACTED:REDACTED@host"). */
#define COTEL_ATTR_URL_FULL "url.full"
/** Path component, without the query. */
#define COTEL_ATTR_URL_PATH "url.path"
/** Query component, without the leading '?'. */
#define COTEL_ATTR_URL_QUERY "url.query"
/** Scheme: "http", "https". */
#define COTEL_ATTR_URL_SCHEME "url.scheme"
/** Fragment component, without the leading '#'. */
#define COTEL_ATTR_URL_FRAGMENT "url.fragment"

/* ---- User agent (stable) ---- */
/** The User-Agent header value, unmodified. */
#define COTEL_ATTR_USER_AGENT_ORIGINAL "user_agent.original"

/* ---- Server and client (stable) ---- */
/** Logical server name or address (client side: the host the client
 * connects to; server side: from Host / :authority). */
#define COTEL_ATTR_SERVER_ADDRESS "server.address"
/** Logical server port, int. */
#define COTEL_ATTR_SERVER_PORT "server.port"
/** Client address as the server sees it (after proxies when known). */
#define COTEL_ATTR_CLIENT_ADDRESS "client.address"
/** Client port, int. */
#define COTEL_ATTR_CLIENT_PORT "client.port"

/* ---- Network (stable) ---- */
/** Address of the peer of the connection (the socket's remote address). */
#define COTEL_ATTR_NETWORK_PEER_ADDRESS "network.peer.address"
/** Port of the peer of the connection, int. */
#define COTEL_ATTR_NETWORK_PEER_PORT "network.peer.port"
/** Local address of the connection. */
#define COTEL_ATTR_NETWORK_LOCAL_ADDRESS "network.local.address"
/** Local port of the connection, int. */
#define COTEL_ATTR_NETWORK_LOCAL_PORT "network.local.port"
/** Application protocol name, lowercase ("http", "amqp"). */
#define COTEL_ATTR_NETWORK_PROTOCOL_NAME "network.protocol.name"
/** Application protocol version ("1.1", "2", "3"). */
#define COTEL_ATTR_NETWORK_PROTOCOL_VERSION "network.protocol.version"
/** Transport, one of COTEL_NETWORK_TRANSPORT_VALUE_*. */
#define COTEL_ATTR_NETWORK_TRANSPORT "network.transport"
/** Network layer, one of COTEL_NETWORK_TYPE_VALUE_*. */
#define COTEL_ATTR_NETWORK_TYPE "network.type"

/** network.transport = "tcp". */
#define COTEL_NETWORK_TRANSPORT_VALUE_TCP "tcp"
/** network.transport = "udp". */
#define COTEL_NETWORK_TRANSPORT_VALUE_UDP "udp"
/** network.transport = "pipe". */
#define COTEL_NETWORK_TRANSPORT_VALUE_PIPE "pipe"
/** network.transport = "unix". */
#define COTEL_NETWORK_TRANSPORT_VALUE_UNIX "unix"
/** network.transport = "quic". */
#define COTEL_NETWORK_TRANSPORT_VALUE_QUIC "quic"
/** network.type = "ipv4". */
#define COTEL_NETWORK_TYPE_VALUE_IPV4 "ipv4"
/** network.type = "ipv6". */
#define COTEL_NETWORK_TYPE_VALUE_IPV6 "ipv6"

/* ---- Error (stable) ---- */
/** Class of the error an operation ended with (an exception type, an HTTP
 * status code as a string, a library's error name), or "_OTHER". */
#define COTEL_ATTR_ERROR_TYPE "error.type"
/** error.type = "_OTHER". */
#define COTEL_ERROR_TYPE_VALUE_OTHER "_OTHER"

/* ---- Exception (stable) ---- */
/* Attributes of the "exception" span event (cotel_span_record_exception
 * sets them). */
/** The exception's type (class) name. */
#define COTEL_ATTR_EXCEPTION_TYPE "exception.type"
/** The exception message. */
#define COTEL_ATTR_EXCEPTION_MESSAGE "exception.message"
/** The stack trace, as a string. */
#define COTEL_ATTR_EXCEPTION_STACKTRACE "exception.stacktrace"

/* ---- Service (stable) ---- */
/** Logical service name (OTEL_SERVICE_NAME). */
#define COTEL_ATTR_SERVICE_NAME "service.name"
/** Version of the service. */
#define COTEL_ATTR_SERVICE_VERSION "service.version"
/** Namespace of service.name. */
#define COTEL_ATTR_SERVICE_NAMESPACE "service.namespace"
/** Unique id of this instance of the service. */
#define COTEL_ATTR_SERVICE_INSTANCE_ID "service.instance.id"

/* ---- Telemetry SDK (stable) ---- */
/** Name of the telemetry SDK ("cotel"). */
#define COTEL_ATTR_TELEMETRY_SDK_NAME "telemetry.sdk.name"
/** Language of the telemetry SDK (cotel sends "c"). */
#define COTEL_ATTR_TELEMETRY_SDK_LANGUAGE "telemetry.sdk.language"
/** Version of the telemetry SDK. */
#define COTEL_ATTR_TELEMETRY_SDK_VERSION "telemetry.sdk.version"
/** Name of the distribution of the SDK, if any. */
#define COTEL_ATTR_TELEMETRY_DISTRO_NAME "telemetry.distro.name"
/** Version of the distribution of the SDK, if any. */
#define COTEL_ATTR_TELEMETRY_DISTRO_VERSION "telemetry.distro.version"

/* ---- Database (stable) ---- */
/** The database management system, one of COTEL_DB_SYSTEM_NAME_VALUE_* or
 * another name from the conventions' list. */
#define COTEL_ATTR_DB_SYSTEM_NAME "db.system.name"
/** The database (schema, keyspace...) the operation runs in. */
#define COTEL_ATTR_DB_NAMESPACE "db.namespace"
/** Table, collection or similar the operation is about. */
#define COTEL_ATTR_DB_COLLECTION_NAME "db.collection.name"
/** Operation or command name ("SELECT", "findAndModify"). */
#define COTEL_ATTR_DB_OPERATION_NAME "db.operation.name"
/** Batch size of a batch operation, int. */
#define COTEL_ATTR_DB_OPERATION_BATCH_SIZE "db.operation.batch.size"
/** The query text (sanitized: literals replaced by placeholders). */
#define COTEL_ATTR_DB_QUERY_TEXT "db.query.text"
/** Low-cardinality summary of the query ("SELECT users"). */
#define COTEL_ATTR_DB_QUERY_SUMMARY "db.query.summary"
/** Database-specific status code of the response, as a string. */
#define COTEL_ATTR_DB_RESPONSE_STATUS_CODE "db.response.status_code"
/** Stored procedure name. */
#define COTEL_ATTR_DB_STORED_PROCEDURE_NAME "db.stored_procedure.name"

/** db.system.name = "mariadb". */
#define COTEL_DB_SYSTEM_NAME_VALUE_MARIADB "mariadb"
/** db.system.name = "microsoft.sql_server". */
#define COTEL_DB_SYSTEM_NAME_VALUE_MICROSOFT_SQL_SERVER "microsoft.sql_server"
/** db.system.name = "mysql". */
#define COTEL_DB_SYSTEM_NAME_VALUE_MYSQL "mysql"
/** db.system.name = "postgresql". */
#define COTEL_DB_SYSTEM_NAME_VALUE_POSTGRESQL "postgresql"

/* ---- Container (stable) ---- */
/** Container id (the 64-hex id Docker and containerd use); the resource
 * detector reads it from /proc/self/cgroup or /proc/self/mountinfo. */
#define COTEL_ATTR_CONTAINER_ID "container.id"
/** Container image name. */
#define COTEL_ATTR_CONTAINER_IMAGE_NAME "container.image.name"

/* ---- Host (development) ---- */
/** Host name (gethostname). */
#define COTEL_ATTR_HOST_NAME "host.name"
/** CPU architecture, one of COTEL_HOST_ARCH_VALUE_*. */
#define COTEL_ATTR_HOST_ARCH "host.arch"
/** Unique host id (/etc/machine-id on Linux). */
#define COTEL_ATTR_HOST_ID "host.id"
/** Host type (cloud instance type). */
#define COTEL_ATTR_HOST_TYPE "host.type"

/** host.arch = "amd64". */
#define COTEL_HOST_ARCH_VALUE_AMD64 "amd64"
/** host.arch = "arm32". */
#define COTEL_HOST_ARCH_VALUE_ARM32 "arm32"
/** host.arch = "arm64". */
#define COTEL_HOST_ARCH_VALUE_ARM64 "arm64"
/** host.arch = "ia64". */
#define COTEL_HOST_ARCH_VALUE_IA64 "ia64"
/** host.arch = "ppc32". */
#define COTEL_HOST_ARCH_VALUE_PPC32 "ppc32"
/** host.arch = "ppc64". */
#define COTEL_HOST_ARCH_VALUE_PPC64 "ppc64"
/** host.arch = "s390x". */
#define COTEL_HOST_ARCH_VALUE_S390X "s390x"
/** host.arch = "x86". */
#define COTEL_HOST_ARCH_VALUE_X86 "x86"

/* ---- Operating system (development) ---- */
/** Operating system family, one of COTEL_OS_TYPE_VALUE_*. */
#define COTEL_ATTR_OS_TYPE "os.type"
/** Full description, as `uname -srv` reports it. */
#define COTEL_ATTR_OS_DESCRIPTION "os.description"
/** Human-readable name ("Debian GNU/Linux"). */
#define COTEL_ATTR_OS_NAME "os.name"
/** Version string of the kernel or distribution. */
#define COTEL_ATTR_OS_VERSION "os.version"

/** os.type = "linux". */
#define COTEL_OS_TYPE_VALUE_LINUX "linux"
/** os.type = "darwin". */
#define COTEL_OS_TYPE_VALUE_DARWIN "darwin"
/** os.type = "freebsd". */
#define COTEL_OS_TYPE_VALUE_FREEBSD "freebsd"
/** os.type = "netbsd". */
#define COTEL_OS_TYPE_VALUE_NETBSD "netbsd"
/** os.type = "openbsd". */
#define COTEL_OS_TYPE_VALUE_OPENBSD "openbsd"
/** os.type = "solaris". */
#define COTEL_OS_TYPE_VALUE_SOLARIS "solaris"
/** os.type = "windows". */
#define COTEL_OS_TYPE_VALUE_WINDOWS "windows"

/* ---- Process (development) ---- */
/** Process id, int. */
#define COTEL_ATTR_PROCESS_PID "process.pid"
/** Parent process id, int. */
#define COTEL_ATTR_PROCESS_PARENT_PID "process.parent_pid"
/** Executable file name (the basename of process.executable.path). */
#define COTEL_ATTR_PROCESS_EXECUTABLE_NAME "process.executable.name"
/** Full path of the executable (/proc/self/exe). */
#define COTEL_ATTR_PROCESS_EXECUTABLE_PATH "process.executable.path"
/** The command used to start the process (argv[0]). */
#define COTEL_ATTR_PROCESS_COMMAND "process.command"
/** The full command line, one string (may hold secrets: opt-in). */
#define COTEL_ATTR_PROCESS_COMMAND_LINE "process.command_line"
/** The command line as a string array (may hold secrets: opt-in). */
#define COTEL_ATTR_PROCESS_COMMAND_ARGS "process.command_args"
/** User name of the process owner. */
#define COTEL_ATTR_PROCESS_OWNER "process.owner"
/** Name of the runtime (for C: the C library, "glibc"). */
#define COTEL_ATTR_PROCESS_RUNTIME_NAME "process.runtime.name"
/** Version of the runtime, as the runtime reports it. */
#define COTEL_ATTR_PROCESS_RUNTIME_VERSION "process.runtime.version"
/** Further description of the runtime (the compiler that built cotel). */
#define COTEL_ATTR_PROCESS_RUNTIME_DESCRIPTION "process.runtime.description"

/* ---- RPC (development) ---- */
/** The RPC system, one of COTEL_RPC_SYSTEM_NAME_VALUE_*. */
#define COTEL_ATTR_RPC_SYSTEM_NAME "rpc.system.name"
/** Fully-qualified RPC method name ("pkg.Service/Method"). */
#define COTEL_ATTR_RPC_METHOD "rpc.method"
/** The method as received, when rpc.method had to be normalized. */
#define COTEL_ATTR_RPC_METHOD_ORIGINAL "rpc.method_original"
/** RPC response status code, as a string. */
#define COTEL_ATTR_RPC_RESPONSE_STATUS_CODE "rpc.response.status_code"

/** rpc.system.name = "grpc". */
#define COTEL_RPC_SYSTEM_NAME_VALUE_GRPC "grpc"
/** rpc.system.name = "dubbo". */
#define COTEL_RPC_SYSTEM_NAME_VALUE_DUBBO "dubbo"
/** rpc.system.name = "connectrpc". */
#define COTEL_RPC_SYSTEM_NAME_VALUE_CONNECTRPC "connectrpc"
/** rpc.system.name = "jsonrpc". */
#define COTEL_RPC_SYSTEM_NAME_VALUE_JSONRPC "jsonrpc"

/* ---- Messaging (development) ---- */
/** The messaging system, one of COTEL_MESSAGING_SYSTEM_VALUE_*. */
#define COTEL_ATTR_MESSAGING_SYSTEM "messaging.system"
/** Destination (queue, topic) name. */
#define COTEL_ATTR_MESSAGING_DESTINATION_NAME "messaging.destination.name"
/** Operation name as the system calls it ("send", "ack"). */
#define COTEL_ATTR_MESSAGING_OPERATION_NAME "messaging.operation.name"
/** Operation type, one of COTEL_MESSAGING_OPERATION_TYPE_VALUE_*. */
#define COTEL_ATTR_MESSAGING_OPERATION_TYPE "messaging.operation.type"
/** Message id. */
#define COTEL_ATTR_MESSAGING_MESSAGE_ID "messaging.message.id"
/** Size of the message body in bytes, int. */
#define COTEL_ATTR_MESSAGING_MESSAGE_BODY_SIZE "messaging.message.body.size"
/** Number of messages in a batch operation, int. */
#define COTEL_ATTR_MESSAGING_BATCH_MESSAGE_COUNT "messaging.batch.message_count"
/** Consumer group name. */
#define COTEL_ATTR_MESSAGING_CONSUMER_GROUP_NAME "messaging.consumer.group.name"
/** Client id of the producer or consumer. */
#define COTEL_ATTR_MESSAGING_CLIENT_ID "messaging.client.id"

/** messaging.system = "activemq". */
#define COTEL_MESSAGING_SYSTEM_VALUE_ACTIVEMQ "activemq"
/** messaging.system = "kafka". */
#define COTEL_MESSAGING_SYSTEM_VALUE_KAFKA "kafka"
/** messaging.system = "rabbitmq". */
#define COTEL_MESSAGING_SYSTEM_VALUE_RABBITMQ "rabbitmq"
/** messaging.system = "rocketmq". */
#define COTEL_MESSAGING_SYSTEM_VALUE_ROCKETMQ "rocketmq"
/** messaging.system = "pulsar". */
#define COTEL_MESSAGING_SYSTEM_VALUE_PULSAR "pulsar"
/** messaging.system = "jms". */
#define COTEL_MESSAGING_SYSTEM_VALUE_JMS "jms"
/** messaging.operation.type = "create". */
#define COTEL_MESSAGING_OPERATION_TYPE_VALUE_CREATE "create"
/** messaging.operation.type = "send". */
#define COTEL_MESSAGING_OPERATION_TYPE_VALUE_SEND "send"
/** messaging.operation.type = "receive". */
#define COTEL_MESSAGING_OPERATION_TYPE_VALUE_RECEIVE "receive"
/** messaging.operation.type = "process". */
#define COTEL_MESSAGING_OPERATION_TYPE_VALUE_PROCESS "process"
/** messaging.operation.type = "settle". */
#define COTEL_MESSAGING_OPERATION_TYPE_VALUE_SETTLE "settle"

#endif
