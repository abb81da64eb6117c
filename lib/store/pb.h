/* pb: short names for the generated limiquantix.network.v1 types. */
#ifndef LQ_PB_H
#define LQ_PB_H 1

#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "limiquantix/network/v1/network.pb-c.h"
#include "limiquantix/network/v1/floating_ip.pb-c.h"
#include "limiquantix/network/v1/port.pb-c.h"
#include "limiquantix/network/v1/router.pb-c.h"
#include "limiquantix/network/v1/security_group.pb-c.h"
#include "limiquantix/network/v1/token.pb-c.h"

#define PB(NAME) Limiquantix__Network__V1__##NAME
#define PB_NETWORK_TYPE(X) LIMIQUANTIX__NETWORK__V1__NETWORK_TYPE__##X
#define PB_NET_PHASE(X) LIMIQUANTIX__NETWORK__V1__VIRTUAL_NETWORK_STATUS__PHASE__##X
#define PB_PORT_PHASE(X) LIMIQUANTIX__NETWORK__V1__PORT_STATUS__PHASE__##X
#define PB_DIRECTION(X) LIMIQUANTIX__NETWORK__V1__RULE_DIRECTION__##X
#define PB_ACTION(X) LIMIQUANTIX__NETWORK__V1__RULE_ACTION__##X

/* proto3 'optional' fields: protobuf-c 1.4 models each as a one-field
 * oneof, whose case member holds the field number when the field is set. */
#define PB_HAS(M, F) ((M)->has_##F##_case != 0)
#define PB_MARK(M, F)                                                                              \
    ((M)->has_##F##_case =                                                                         \
         protobuf_c_message_descriptor_get_field_by_name((M)->base.descriptor, #F)->id)

#endif
