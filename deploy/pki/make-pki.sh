#!/usr/bin/env bash
# Makes the PKI a production Spark Den needs, with openssl only:
#   ca.key/ca.pem            the deployment's own CA (keep ca.key offline after this step)
#   hub.key/hub.pem          the hub's TLS certificate (HTTPS and MQTT over TLS), SANs from $HUB_NAMES
#   turn.key/turn.pem        coturn's TLS certificate
#   sfu.key/sfu.pem          SFU nodes' signaling (HTTPS), SANs from $SFU_NAMES (default $HUB_NAMES)
# Agents get their certificates at enrollment, signed by the hub with this CA
# (SPARKDEN_CA_CERT / SPARKDEN_CA_KEY point the hub at it).
#
# Usage: HUB_NAMES="DNS:hub.example.org,IP:10.0.0.5" deploy/pki/make-pki.sh <out-dir>
set -euo pipefail
out=${1:?usage: make-pki.sh <out-dir>}
names=${HUB_NAMES:-DNS:localhost,IP:127.0.0.1}
# The hub's own health checks call it on localhost: always name it.
case ",$names," in *,DNS:localhost,*) ;; *) names="$names,DNS:localhost" ;; esac
case ",$names," in *,IP:127.0.0.1,*) ;; *) names="$names,IP:127.0.0.1" ;; esac
days=${CERT_DAYS:-397}
mkdir -p "$out"
umask 077

if [ ! -f "$out/ca.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 \
    -subj "/O=Spark Den/CN=Spark Den deployment CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$out/ca.pem"
fi

issue() { # name subject-alt-names
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/$1.key"
  openssl req -new -key "$out/$1.key" -subj "/O=Spark Den/CN=$1" -out "$out/$1.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$2" \
    >"$out/$1.ext"
  openssl x509 -req -in "$out/$1.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$out/$1.ext" -out "$out/$1.pem"
  rm -f "$out/$1.csr" "$out/$1.ext"
}

issue hub "$names"
issue turn "$names"
issue sfu "${SFU_NAMES:-$names}"
chmod 0600 "$out"/*.key
echo "PKI written to $out (CA valid 10 years, leaf certificates $days days)"
