#ifndef PROVENANCE_COPENSSL_SHIM_H
#define PROVENANCE_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>

#endif
