#!/usr/bin/env bash
# Installs, from Debian's archive, the system packages the test suites need, if
# they are missing: the PostgreSQL server for the external-server run, and
# Chromium for the browser tests (Playwright drives Debian's build; it never
# downloads a browser of its own), and the telephony peers: Kamailio (the SIP
# edge, with its TLS module and its WebSocket modules for the desktop's softphone), rtpengine (media), SIPp and
# baresip (callers and agents' phones),
# espeak-ng and sox (prompts), libfaketime (one run with the machine's clock
# moved), and the replicated database's parts: etcd, Patroni and HAProxy. Installing them starts none of them: the tests start each on loopback
# and stop it.
set -euo pipefail

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v kamailio >/dev/null || missing+=(kamailio)
# The edge's SIP over TLS (the tls module ships apart from Kamailio itself).
compgen -G '/usr/lib/*/kamailio/modules/tls.so' >/dev/null || missing+=(kamailio-tls-modules)
# The agent desktop's softphone: SIP over WebSocket (websocket.so, and xhttp.so for the HTTP upgrade).
compgen -G '/usr/lib/*/kamailio/modules/websocket.so' >/dev/null || missing+=(kamailio-websocket-modules)
command -v rtpengine >/dev/null || missing+=(rtpengine-daemon)
command -v sipp >/dev/null || missing+=(sip-tester)
command -v baresip >/dev/null || missing+=(baresip-core)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
# Self-signed certificates for the TLS suites (the SIP edge, HTTPS).
command -v openssl >/dev/null || missing+=(openssl)
compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || missing+=(libfaketime)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v patroni >/dev/null || missing+=(patroni)
command -v haproxy >/dev/null || missing+=(haproxy)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "test setup: missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) and run again" >&2
  exit 1
fi
echo "test setup: installing ${missing[*]} from Debian…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Where the packages' own services were started by the install (a machine with an init system), stop them: the
# tests start their own Kamailio and rtpengine, on other ports, and a system rtpengine on 2223 would share that
# port with `start --telephony` (rtpengine binds it with SO_REUSEPORT).
for service in kamailio rtpengine-daemon etcd haproxy patroni; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done
