#!/usr/bin/env python3
"""Adapt a COPY of mediasoup's worker tree to build against Debian's system libraries.

Usage: patch-worker.py <copied-worker-dir>

mediasoup's meson build pulls every dependency as a wrap subproject, which needs the internet.
This script rewrites the copy so that each subproject becomes a pkg-config dependency() and
ports the libsrtp3-fork calls onto libsrtp2's in-place API. It never touches node_modules: the
caller copies the tree first. Every edit asserts that its anchor text was found, so a new
mediasoup release that moves things fails loudly instead of building something half-patched.
"""

import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])


def edit(rel, fn):
    path = root / rel
    before = path.read_text()
    after = fn(before)
    if after == before:
        raise SystemExit(f'patch-worker: nothing changed in {rel}')
    path.write_text(after)


def must_sub(pattern, repl, text, flags=0, count=0):
    out, n = re.subn(pattern, repl, text, count=count, flags=flags)
    if n == 0:
        raise SystemExit(f'patch-worker: pattern not found: {pattern!r}')
    return out


def drop_subproject_blocks(text):
    # `name_proj = subproject(\n ... \n)\n` blocks, including the Windows/liburing ones.
    return re.sub(r"^( *)\w+_proj = subproject\(\n(?:.|\n)*?^\1\)\n", '', text, flags=re.M)


SYSTEM_DEPS = """
# System libraries (Debian packages) instead of wrap subprojects.
openssl_dep = dependency('openssl')
libuv_dep = dependency('libuv')
libsrtp_dep = dependency('libsrtp2')
usrsctp_dep = dependency('usrsctp')
flatbuffers_dep = dependency('flatbuffers')
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_btree'),
  dependency('absl_inlined_vector'),
])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')
"""


def patch_root_meson(text):
    # Windows (wingetopt) and liburing blocks only pull more subprojects; liburing stays off.
    text = must_sub(r"^if host_machine\.system\(\) == 'windows'\n(?:.|\n)*?^endif\n", '', text,
                    flags=re.M)
    text = must_sub(r"^if host_machine\.system\(\) == 'linux' and not get_option\("
                    r"'ms_disable_liburing'\)\n(?:.|\n)*?^endif\n", '', text, flags=re.M)
    text = must_sub(r"^openssl_proj = subproject\(", SYSTEM_DEPS + '\nopenssl_proj = subproject(',
                    text, flags=re.M, count=1)
    text = drop_subproject_blocks(text)
    text = must_sub(r"\w+_proj\.get_variable\('(\w+)'\)",
                    lambda m: {
                        'absl_container_dep': 'absl_container_dep',
                        'openssl_dep': 'openssl_dep',
                        'libuv_dep': 'libuv_dep',
                        'libsrtp3_dep': 'libsrtp_dep',
                        'usrsctp_dep': 'usrsctp_dep',
                        'flatbuffers_dep': 'flatbuffers_dep',
                    }.get(m.group(1), '__DROP__'), text)
    # Static archives from the subprojects no longer exist: only libwebrtc stays whole.
    text = must_sub(r"link_whole = \[(?:.|\n)*?\n\]", 'link_whole = [\n  libwebrtc,\n]', text,
                    count=1)
    cut = text.find('\ntest_sources = [')
    if cut < 0:
        raise SystemExit('patch-worker: test_sources not found')
    text = text[:cut] + '\n'
    leftover = re.findall(r'.*(?:__DROP__|_proj\b).*', text)
    if leftover:
        print('\n'.join(leftover), file=sys.stderr)
        raise SystemExit('patch-worker: unmapped subproject reference left in meson.build')
    return text


def patch_fbs_meson(text):
    # Make the generated FBS headers an ordering dependency of everything that includes them;
    # upstream only gets away without it because its subprojects take long to compile.
    return must_sub(r"(flatbuffers_generator_dep = declare_dependency\(\n)",
                    r"\1  sources: flatbuffers_generator,\n", text, count=1)


def patch_libwebrtc_meson(text):
    text = drop_subproject_blocks(text)
    text = must_sub(r"(\n    libuv_proj\.get_variable\('libuv_dep'\),\n)",
                    r"\1    flatbuffers_generator_dep,\n", text, count=1)
    text = must_sub(r"\w+_proj\.get_variable\('(\w+)'\)", lambda m: m.group(1), text)
    if '_proj' in text:
        raise SystemExit('patch-worker: unmapped subproject reference in libwebrtc')
    return text


def patch_srtp_includes(text):
    return must_sub(r'#include <srtp\.h>', '#include <srtp2/srtp.h>', text)


def patch_srtp_session_hpp(text):
    text = patch_srtp_includes(text)
    return must_sub(r'srtp_stream_remove\(', 'srtp_remove_stream(', text)


def patch_deplibsrtp_cpp(text):
    # libsrtp2 lacks the two newest status codes of the fork.
    text = must_sub(r'\n\s*\{ srtp_err_status_buffer_small,[^\n]*', '', text)
    text = must_sub(r',\n\s*\{ srtp_err_status_cryptex_err,[^\n]*', '', text)
    return text


ENCRYPT_RTP = '''
		// libsrtp2 protects in place: copy into a buffer with room for the trailer.
		std::memcpy(encryptBuffer, *data, *len);
		int protectedLen = static_cast<int>(*len);
		const srtp_err_status_t err = srtp_protect(this->session, encryptBuffer, &protectedLen);
		encryptLen = static_cast<size_t>(protectedLen);
'''

ENCRYPT_RTCP = '''
		std::memcpy(encryptBuffer, *data, *len);
		int protectedLen = static_cast<int>(*len);
		const srtp_err_status_t err =
		  srtp_protect_rtcp(this->session, encryptBuffer, &protectedLen);
		encryptLen = static_cast<size_t>(protectedLen);
'''

DECRYPT = '''
		int plainLen = static_cast<int>(*len);
		const srtp_err_status_t err = {fn}(this->session, data, &plainLen);
		size_t decryptLen = static_cast<size_t>(plainLen);
'''


def patch_srtp_session_cpp(text):
    call = r"\n\s*const srtp_err_status_t err = {fn}\(\n(?:[^;])*?\);\n"
    text = must_sub(call.format(fn='srtp_protect'), lambda m: ENCRYPT_RTP, text, count=1)
    text = must_sub(call.format(fn='srtp_protect_rtcp'), lambda m: ENCRYPT_RTCP, text, count=1)
    for fn in ('srtp_unprotect', 'srtp_unprotect_rtcp'):
        text = must_sub(r"\n\s*size_t decryptLen = \*len;\n(\s*)const srtp_err_status_t err = "
                        + fn + r"\(\n(?:[^;])*?\);\n",
                        lambda m, fn=fn: DECRYPT.replace('{fn}', fn), text, count=1)
    # [libsrtp2 srtp.h: srtp_policy_t.key is unsigned char*, window_size unsigned long]
    text = must_sub(r'keyLen == policy\.rtp\.cipher_key_len',
                    'keyLen == static_cast<size_t>(policy.rtp.cipher_key_len)', text)
    return text


KTLS_CTRL_ANSWER = r"""
	// [patch-worker] OpenSSL never passes a bare BIO_CB_RETURN (it is always or'ed with the
	// operation), so upstream answers 1 to every BIO_ctrl() on this mem BIO. Upstream's bundled
	// OpenSSL is built without KTLS and BIO_get_ktls_send() is a constant 0 there; Debian's
	// libssl3 has KTLS and asks the BIO. The bogus "yes" makes ssl3_setup_write_buffer() leave
	// the record write buffer NULL, and the first handshake record (the ServerHello, written
	// inside SSL_read()) segfaults. The KTLS controls, BIO_CTRL_SET_KTLS (72, internal) up to
	// BIO_CTRL_GET_KTLS_RECV (76), get the mem BIO's real answer (0); every other control keeps
	// upstream's behaviour, which its DTLS MTU handling was tuned against.
	if (operationType == (BIO_CB_CTRL | BIO_CB_RETURN) && argi >= 72 && argi <= BIO_CTRL_GET_KTLS_RECV)
	{
		return static_cast<long>(ret);
	}

"""


def patch_dtls_transport_cpp(text):
    # The write-spying BIO callback lies "1" to every BIO_ctrl(); see KTLS_CTRL_ANSWER.
    text = must_sub(r'(\n  size_t len,\n  int )/\*argi\*/(,\n)', r'\1argi\2', text, count=1)
    return must_sub(r'(\n(\s*)long resultOfcallback = \(operationType == BIO_CB_RETURN\)[^\n]*\n)',
                    lambda m: '\n' + KTLS_CTRL_ANSWER.lstrip('\n') + m.group(1).lstrip('\n'),
                    text, count=1)


edit('meson.build', patch_root_meson)
edit('fbs/meson.build', patch_fbs_meson)
edit('deps/libwebrtc/meson.build', patch_libwebrtc_meson)
edit('include/RTC/SrtpSession.hpp', patch_srtp_session_hpp)
edit('include/DepLibSRTP.hpp', patch_srtp_includes)
edit('src/DepLibSRTP.cpp', patch_deplibsrtp_cpp)
edit('src/RTC/SrtpSession.cpp', patch_srtp_session_cpp)
edit('src/RTC/DtlsTransport.cpp', patch_dtls_transport_cpp)
for wrap in (root / 'subprojects').glob('*.wrap'):
    wrap.unlink()
print('patch-worker: worker tree adapted to system libraries')
