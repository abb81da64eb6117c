#!/usr/bin/env bash
# SecurityGroupService through the API and what lands in Northbound: the
# project's default group, groups and rules becoming Port_Groups and ACLs
# (priorities, matches, actions), rule validation (each error names its
# field), duplicates, and deleting groups that are in use.
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

nb() { ovn-nbctl --db="$OVN_NB_DB" "$@"; }
token() { # PROJECT ROLE
    api TokenService/CreateToken "{\"projectId\":\"$1\",\"role\":\"$2\",\"name\":\"t\"}" >/dev/null
    last_body .token
}
ALPHA=$(token alpha member)
BETA=$(token beta member)
READER=$(token alpha reader)
LQNET_TOKEN=$ALPHA

# replied CODE NAME [FIELD]: the last reply was Connect error NAME with HTTP
# status CODE, and its message starts with "FIELD:".
replied() {
    [ "$(last_code)" = "$1" ] && [ "$(last_body .code)" = "$2" ] || return 1
    [ -z "${3:-}" ] || last_body .message | grep -q "^$3: "
}

# --- the project's default group ----------------------------------------------
api SecurityGroupService/ListSecurityGroups >/dev/null
check "ListSecurityGroups creates the project's default group" \
    test "$(last_code)" = 200 -a "$(last_body '[.securityGroups[] | select(.name == "default")] | length')" = 1
DEF=$(last_body '.securityGroups[] | select(.name == "default") | .id')
default_rules() {
    last_body '.securityGroups[] | select(.name == "default") | .rules' | jq -e --arg d "$DEF" '
      length == 2 and
      any(.[]; (.direction // "INGRESS") == "INGRESS" and .remoteSecurityGroupId == $d
                and (.action // "ALLOW") == "ALLOW" and (.protocol // "") == "" and (.remoteIpPrefix // "") == "") and
      any(.[]; .direction == "EGRESS" and (.action // "ALLOW") == "ALLOW" and (.remoteIpPrefix // "") == ""
                and (.remoteSecurityGroupId // "") == "")'
}
check "the default group: ingress ALLOW from its own members, egress ALLOW all" default_rules
check "the default group is stateful" test "$(last_body '.securityGroups[] | select(.name == "default") | .stateful')" = true
api SecurityGroupService/ListSecurityGroups >/dev/null
check "listing again does not make a second default group" \
    test "$(last_body '[.securityGroups[] | select(.name == "default")] | length')" = 1
api_as "$READER" SecurityGroupService/ListSecurityGroups >/dev/null
check "a reader sees the same default group" test "$(last_body '.securityGroups[0].id')" = "$DEF"
api SecurityGroupService/CreateSecurityGroup '{"name":"default"}' >/dev/null
check "a group cannot be named 'default' (invalid_argument, name)" replied 400 invalid_argument name
api_as "$READER" SecurityGroupService/CreateSecurityGroup '{"name":"r"}' >/dev/null
check "a reader cannot create a group" replied 403 permission_denied

DEFPG=$(pg_name "$DEF")
pg_exists() { [ "$(nb --bare --columns=name find port_group "name=$1")" = "$1" ]; }
check "the default group becomes Port_Group $DEFPG" eventually 10 pg_exists "$DEFPG"
check "... with 4 ACLs (2 rules x IPv4/IPv6)" test "$(nb_acl_count "$DEF")" = 4
acl_matches() { # OWNER: "direction priority action match" per ACL, sorted
    nb --format=csv --no-headings --data=bare --columns=direction,priority,action,match \
        find acl "external_ids:\"lqnet:owner\"=$1" | sort
}
has_acl() { # OWNER DIRECTION PRIORITY ACTION MATCH
    acl_matches "$1" | grep -qxF "$2,$3,$4,$5"
}
check "default ingress IPv4: to-lport 3000 allow-related from \$${DEFPG}_ip4" \
    has_acl "$DEF" to-lport 3000 allow-related "outport == @$DEFPG && ip4 && ip4.src == \$${DEFPG}_ip4"
check "default ingress IPv6: from \$${DEFPG}_ip6" \
    has_acl "$DEF" to-lport 3000 allow-related "outport == @$DEFPG && ip6 && ip6.src == \$${DEFPG}_ip6"
check "default egress: from-lport 3000 allow-related on inport" \
    has_acl "$DEF" from-lport 3000 allow-related "inport == @$DEFPG && ip4"

# --- a group with rules: priorities, matches, actions ----------------------------
WEB=$(sg_create web '[
  {"direction":"INGRESS","protocol":"tcp","portMin":80,"priority":10},
  {"direction":"INGRESS","protocol":"tcp","portMin":80,"priority":10,"action":"DROP"},
  {"direction":"INGRESS","protocol":"udp","portMin":5000,"portMax":5010,"remoteIpPrefix":"10.1.2.0/24","action":"REJECT","priority":999},
  {"direction":"EGRESS","protocol":"icmp","icmpType":8,"icmpCode":0,"ethertype":"IPv4"},
  {"direction":"INGRESS","protocol":"47","ethertype":"IPv6"}]' '"description":"web tier"')
check "CreateSecurityGroup answers the group with an id" test -n "$WEB"
check "every rule gets its own id" test "$(last_body '[.rules[].id] | unique | length')" = 5
check "a single port is stored as portMin = portMax" test "$(last_body '.rules[0].portMax')" = 80
check "the ethertype of a CIDR rule is left empty (taken from the CIDR)" test "$(last_body '.rules[2].ethertype // ""')" = ""
WEBPG=$(pg_name "$WEB")
check "the group becomes Port_Group $WEBPG" eventually 10 pg_exists "$WEBPG"
# Rules 0/1 both families, 2 IPv4 (CIDR), 3 IPv4, 4 IPv6: 2+2+1+1+1.
check "7 ACLs for the 5 rules" test "$(nb_acl_count "$WEB")" = 7
check "ALLOW at priority 10 is OVN priority 3000 - 20 = 2980" \
    has_acl "$WEB" to-lport 2980 allow-related "outport == @$WEBPG && ip4 && tcp && tcp.dst == 80"
check "DROP at the same priority is one above (2981), so it wins" \
    has_acl "$WEB" to-lport 2981 drop "outport == @$WEBPG && ip6 && tcp && tcp.dst == 80"
check "REJECT with a CIDR and a port range at priority 999: 1003 reject" \
    has_acl "$WEB" to-lport 1003 reject "outport == @$WEBPG && ip4 && ip4.src == 10.1.2.0/24 && udp && udp.dst >= 5000 && udp.dst <= 5010"
check "an ICMP type/code egress rule matches icmp4.type/code on inport" \
    has_acl "$WEB" from-lport 3000 allow-related "inport == @$WEBPG && ip4 && icmp4 && icmp4.type == 8 && icmp4.code == 0"
check "a protocol number becomes ip.proto" \
    has_acl "$WEB" to-lport 3000 allow-related "outport == @$WEBPG && ip6 && ip.proto == 47"
acl_priorities_above_default() { # every rule ACL sits between 1000 and 4000
    nb --bare --columns=priority find acl "external_ids:\"lqnet:owner\"=$WEB" |
        awk 'NF { if ($1 <= 1000 || $1 >= 4000) bad = 1 } END { exit bad }'
}
check "every rule ACL is above the default drop (1000) and below DHCP/ND (4000)" acl_priorities_above_default

SL=$(sg_create stateless '[{"direction":"INGRESS","protocol":"tcp","portMin":22}]' '"stateful":false')
check "stateful=false is kept" test "$(last_body '.stateful // false')" = false
sl_action() { [ "$(nb --bare --columns=action find acl "external_ids:\"lqnet:owner\"=$SL" | sort -u | grep .)" = allow-stateless ]; }
check "a stateless group's ALLOW is allow-stateless" eventually 10 sl_action

api SecurityGroupService/GetSecurityGroup "{\"id\":\"$WEB\"}" >/dev/null
check "GetSecurityGroup returns it" test "$(last_code)" = 200 -a "$(last_body .name)" = web -a "$(last_body '.rules|length')" = 5
api_as "$BETA" SecurityGroupService/GetSecurityGroup "{\"id\":\"$WEB\"}" >/dev/null
check "another project's group is not_found" replied 404 not_found id
api SecurityGroupService/UpdateSecurityGroup "{\"id\":\"$WEB\",\"description\":\"new\",\"labels\":{\"tier\":\"web\"}}" >/dev/null
check "UpdateSecurityGroup changes description and labels" \
    test "$(last_body .description)" = new -a "$(last_body .labels.tier)" = web -a "$(last_body '.rules|length')" = 5
api SecurityGroupService/ListSecurityGroups >/dev/null
check "ListSecurityGroups shows the project's 3 groups" test "$(last_body '.securityGroups|length')" = 3 -a "$(last_body .totalCount)" = 3
api_as "$BETA" SecurityGroupService/ListSecurityGroups >/dev/null
check "another project sees only its own (new) default group" \
    test "$(last_body '.securityGroups|length')" = 1 -a "$(last_body '.securityGroups[0].name')" = default \
    -a "$(last_body '.securityGroups[0].id')" != "$DEF"
BETADEF=$(last_body '.securityGroups[0].id')

# --- AddRule / RemoveRule ---------------------------------------------------------
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\",\"rule\":{\"direction\":\"INGRESS\",\"protocol\":\"tcp\",\"portMin\":443,\"ethertype\":\"ipv4\"}}" >/dev/null
check "AddRule returns the group with the new rule" test "$(last_code)" = 200 -a "$(last_body '.rules|length')" = 6
RID=$(last_body '.rules[] | select(.portMin == 443) | .id')
check "the ethertype is normalised to IPv4" test "$(last_body '.rules[] | select(.portMin == 443) | .ethertype')" = IPv4
rule443() { has_acl "$WEB" to-lport 3000 allow-related "outport == @$WEBPG && ip4 && tcp && tcp.dst == 443"; }
check "the new rule's ACL appears" eventually 10 rule443
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\",\"rule\":{\"direction\":\"INGRESS\",\"protocol\":\"TCP\",\"portMin\":443,\"portMax\":443,\"ethertype\":\"IPv4\"}}" >/dev/null
check "the same rule again is already_exists naming rule" replied 409 already_exists rule
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\",\"rule\":{\"direction\":\"INGRESS\",\"protocol\":\"6\",\"portMin\":443,\"ethertype\":\"IPv4\"}}" >/dev/null
check "... also with the protocol as a number (6 = tcp)" replied 409 already_exists rule
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\",\"rule\":{\"direction\":\"INGRESS\",\"protocol\":\"tcp\",\"portMin\":443,\"ethertype\":\"IPv4\",\"priority\":5}}" >/dev/null
check "the same rule at another priority is a different rule" test "$(last_code)" = 200
api SecurityGroupService/RemoveRule "{\"securityGroupId\":\"$WEB\",\"ruleId\":\"$RID\"}" >/dev/null
check "RemoveRule returns the group without the rule" \
    test "$(last_code)" = 200 -a "$(last_body "[.rules[] | select(.id == \"$RID\")] | length")" = 0
rule443_gone() { ! rule443; }
check "its ACL leaves Northbound" eventually 10 rule443_gone
api SecurityGroupService/RemoveRule "{\"securityGroupId\":\"$WEB\",\"ruleId\":\"$RID\"}" >/dev/null
check "removing it again is not_found naming ruleId" replied 404 not_found ruleId
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\"}" >/dev/null
check "AddRule without a rule is invalid_argument naming rule" replied 400 invalid_argument rule
api SecurityGroupService/AddRule '{"securityGroupId":"nope","rule":{}}' >/dev/null
check "AddRule to an unknown group is not_found naming securityGroupId" replied 404 not_found securityGroupId

# --- validation: every error names its field --------------------------------------
bad_rule() { # NAME CODE ERROR FIELD RULE-JSON
    api SecurityGroupService/AddRule "{\"securityGroupId\":\"$WEB\",\"rule\":$5}" >/dev/null
    check "$1" replied "$2" "$3" "$4"
}
bad_rule "portMin > portMax -> rule.portMin" 400 invalid_argument rule.portMin \
    '{"protocol":"tcp","portMin":100,"portMax":50}'
bad_rule "portMax 65536 -> rule.portMax" 400 invalid_argument rule.portMax \
    '{"protocol":"tcp","portMin":1,"portMax":65536}'
bad_rule "portMin 0 with a portMax -> rule.portMin" 400 invalid_argument rule.portMin \
    '{"protocol":"tcp","portMin":0,"portMax":80}'
bad_rule "portMin 65536 alone -> rule.portMin (the field that was given)" 400 invalid_argument rule.portMin \
    '{"protocol":"tcp","portMin":65536}'
bad_rule "ports with icmp -> rule.portMin" 400 invalid_argument rule.portMin \
    '{"protocol":"icmp","portMin":80}'
bad_rule "ports without a protocol -> rule.portMin" 400 invalid_argument rule.portMin \
    '{"portMin":80}'
bad_rule "icmpType 256 -> rule.icmpType" 400 invalid_argument rule.icmpType \
    '{"protocol":"icmp","icmpType":256}'
bad_rule "icmpType -1 -> rule.icmpType" 400 invalid_argument rule.icmpType \
    '{"protocol":"icmp","icmpType":-1}'
bad_rule "icmpCode 256 -> rule.icmpCode" 400 invalid_argument rule.icmpCode \
    '{"protocol":"icmp","icmpType":3,"icmpCode":256}'
bad_rule "an icmpCode without an icmpType -> rule.icmpCode" 400 invalid_argument rule.icmpCode \
    '{"protocol":"icmp","icmpCode":0}'
bad_rule "an icmpType with tcp -> rule.icmpType" 400 invalid_argument rule.icmpType \
    '{"protocol":"tcp","icmpType":8}'
bad_rule "icmp with ethertype IPv6 -> rule.protocol" 400 invalid_argument rule.protocol \
    '{"protocol":"icmp","ethertype":"IPv6"}'
bad_rule "icmpv6 with an IPv4 CIDR -> rule.protocol" 400 invalid_argument rule.protocol \
    '{"protocol":"icmpv6","remoteIpPrefix":"10.0.0.0/8"}'
bad_rule "CIDR /33 -> rule.remoteIpPrefix" 400 invalid_argument rule.remoteIpPrefix \
    '{"remoteIpPrefix":"10.0.0.0/33"}'
bad_rule "CIDR with host bits -> rule.remoteIpPrefix" 400 invalid_argument rule.remoteIpPrefix \
    '{"remoteIpPrefix":"10.0.0.1/24"}'
bad_rule "not a CIDR -> rule.remoteIpPrefix" 400 invalid_argument rule.remoteIpPrefix \
    '{"remoteIpPrefix":"ten.0.0.0/8"}'
bad_rule "IPv6 /129 -> rule.remoteIpPrefix" 400 invalid_argument rule.remoteIpPrefix \
    '{"remoteIpPrefix":"fd00::/129"}'
bad_rule "an IPv4 CIDR with ethertype IPv6 -> rule.remoteIpPrefix" 400 invalid_argument rule.remoteIpPrefix \
    '{"remoteIpPrefix":"10.0.0.0/8","ethertype":"IPv6"}'
bad_rule "ethertype IPv5 -> rule.ethertype" 400 invalid_argument rule.ethertype \
    '{"ethertype":"IPv5"}'
bad_rule "protocol bogus -> rule.protocol" 400 invalid_argument rule.protocol \
    '{"protocol":"bogus"}'
bad_rule "protocol 256 -> rule.protocol" 400 invalid_argument rule.protocol \
    '{"protocol":"256"}'
bad_rule "priority 1000 -> rule.priority" 400 invalid_argument rule.priority \
    '{"protocol":"tcp","portMin":1,"priority":1000}'
bad_rule "both a CIDR and a remote group -> rule.remoteSecurityGroupId" 400 invalid_argument rule.remoteSecurityGroupId \
    "{\"remoteIpPrefix\":\"10.0.0.0/8\",\"remoteSecurityGroupId\":\"$DEF\"}"
bad_rule "a remote group of another project -> not_found rule.remoteSecurityGroupId" 404 not_found rule.remoteSecurityGroupId \
    "{\"remoteSecurityGroupId\":\"$BETADEF\"}"
bad_rule "an unknown remote group -> not_found rule.remoteSecurityGroupId" 404 not_found rule.remoteSecurityGroupId \
    '{"remoteSecurityGroupId":"00000000-0000-4000-8000-000000000000"}'
bad_rule "an unknown direction -> rule.direction" 400 invalid_argument rule.direction '{"direction":"SIDEWAYS"}'
api SecurityGroupService/GetSecurityGroup "{\"id\":\"$WEB\"}" >/dev/null
check "no rejected rule was stored" test "$(last_body '.rules|length')" = 6
api SecurityGroupService/CreateSecurityGroup '{"name":"x","rules":[{"protocol":"tcp","portMin":22},{"protocol":"udp","portMin":9,"portMax":8}]}' >/dev/null
check "CreateSecurityGroup names the rule: rules[1].portMin" replied 400 invalid_argument 'rules\[1\].portMin'
api SecurityGroupService/CreateSecurityGroup '{"name":"x","rules":[{"protocol":"tcp","portMin":22},{"protocol":"tcp","portMin":22,"portMax":22}]}' >/dev/null
check "a duplicate within CreateSecurityGroup is already_exists naming rules[1]" replied 409 already_exists 'rules\[1\]'
api SecurityGroupService/ListSecurityGroups >/dev/null
check "the refused groups were not created" test "$(last_body '.securityGroups|length')" = 3

# --- ports and groups ------------------------------------------------------------------
NET=$(api VirtualNetworkService/CreateNetwork '{"name":"n","spec":{"ipConfig":{"ipv4Subnet":"10.60.0.0/24"}}}' | jq -r .id)
api PortService/CreatePort "{\"name\":\"p\",\"networkId\":\"$NET\"}" >/dev/null
P=$(last_body .id)
check "a port without groups gets the project's default group" test "$(last_body '.spec.securityGroupIds|join(",")')" = "$DEF"
in_pg() { nb --bare --columns=ports find port_group "name=$1" | tr ' ' '\n' | grep -qxF "$(nb --bare --columns=_uuid find logical_switch_port "name=$2")"; }
check "the port is in the default group's Port_Group" eventually 10 in_pg "$DEFPG" "$P"
check "the port is in lq_secured" in_pg lq_secured "$P"
secured_acls() { pg_exists lq_secured && [ "$(nb_acl_count lq_secured)" = 8 ]; }
check "with the first port, lq_secured exists with 8 ACLs (DHCPv4/v6 and ND both ways at 4000, IP drop both ways at 1000)" \
    eventually 10 secured_acls
secured_shape() {
    local m
    m=$(acl_matches lq_secured)
    grep -qxF 'from-lport,1000,drop,inport == @lq_secured && ip' <<<"$m" &&
        grep -qxF 'to-lport,1000,drop,outport == @lq_secured && ip' <<<"$m" &&
        [ "$(grep -c ',4000,' <<<"$m")" = 6 ]
}
check "lq_secured drops IP at 1000 both ways and allows DHCP/ND at 4000" secured_shape
api PortService/CreatePort "{\"name\":\"w\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$WEB\",\"$SL\"]}}" >/dev/null
W=$(last_body .id)
check "a port takes the groups it asks for" test "$(last_body '.spec.securityGroupIds|join(",")')" = "$WEB,$SL"
in_both() { in_pg "$WEBPG" "$W" && in_pg "$(pg_name "$SL")" "$W"; }
check "it is in both Port_Groups" eventually 10 in_both
api PortService/CreatePort "{\"name\":\"x\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$BETADEF\"]}}" >/dev/null
check "another project's group on a port is not_found naming spec.securityGroupIds[0]" \
    replied 404 not_found 'spec.securityGroupIds\[0\]'
api PortService/CreatePort "{\"name\":\"x\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$WEB\",\"$WEB\"]}}" >/dev/null
check "a group listed twice is invalid_argument naming spec.securityGroupIds[1]" \
    replied 400 invalid_argument 'spec.securityGroupIds\[1\]'
api PortService/CreatePort "{\"name\":\"x\",\"networkId\":\"$NET\",\"spec\":{\"portSecurityEnabled\":false,\"securityGroupIds\":[\"$WEB\"]}}" >/dev/null
check "port security off with groups is failed_precondition naming spec.securityGroupIds" \
    replied 400 failed_precondition spec.securityGroupIds
api PortService/CreatePort "{\"name\":\"open\",\"networkId\":\"$NET\",\"spec\":{\"portSecurityEnabled\":false}}" >/dev/null
OPEN=$(last_body .id)
check "a port without port security has no groups" test "$(last_code)" = 200 -a "$(last_body '.spec.securityGroupIds|length')" = 0
open_in_nb() { nb --bare --columns=name find logical_switch_port "name=$OPEN" | grep -q .; }
check "... and, once in Northbound, is not in lq_secured" eventually 10 open_in_nb
check_fails "... (lq_secured does not hold it)" in_pg lq_secured "$OPEN"
api PortService/UpdatePort "{\"id\":\"$OPEN\",\"updateMask\":\"spec.securityGroupIds\",\"spec\":{\"securityGroupIds\":[\"$WEB\"]}}" >/dev/null
check "giving it groups later is failed_precondition" replied 400 failed_precondition spec.securityGroupIds

# A network's default group.
NETD=$(api VirtualNetworkService/CreateNetwork "{\"name\":\"d\",\"spec\":{\"defaultSecurityGroupId\":\"$SL\",\"ipConfig\":{\"ipv4Subnet\":\"10.61.0.0/24\"}}}" | jq -r .id)
check "a network takes a defaultSecurityGroupId" test "$(last_code)" = 200 -a "$(last_body .spec.defaultSecurityGroupId)" = "$SL"
api PortService/CreatePort "{\"name\":\"pd\",\"networkId\":\"$NETD\"}" >/dev/null
check "its ports get that group instead of the project's default" test "$(last_body '.spec.securityGroupIds|join(",")')" = "$SL"
api VirtualNetworkService/CreateNetwork "{\"name\":\"d2\",\"spec\":{\"defaultSecurityGroupId\":\"$BETADEF\",\"ipConfig\":{\"ipv4Subnet\":\"10.62.0.0/24\"}}}" >/dev/null
check "another project's group as network default is not_found" test "$(last_code)" = 404

# --- deleting groups ---------------------------------------------------------------------
api SecurityGroupService/DeleteSecurityGroup "{\"id\":\"$SL\",\"force\":true}" >/dev/null
check "a network's default group cannot be deleted, even with force (failed_precondition)" replied 400 failed_precondition id
REF=$(sg_create ref "[{\"remoteSecurityGroupId\":\"$WEB\"}]")
api SecurityGroupService/DeleteSecurityGroup "{\"id\":\"$WEB\",\"force\":true}" >/dev/null
check "a group another group's rule refers to cannot be deleted (failed_precondition)" replied 400 failed_precondition id
api SecurityGroupService/DeleteSecurityGroup "{\"id\":\"$REF\"}" >/dev/null
check "an unused group is deleted" test "$(last_code)" = 200
api SecurityGroupService/DeleteSecurityGroup "{\"id\":\"$WEB\"}" >/dev/null
check "a group in use by a port is failed_precondition without force" replied 400 failed_precondition id
msg_has() { last_body .message | grep -q "$1"; }
check "... and its message counts the ports" msg_has '1 port'
api SecurityGroupService/DeleteSecurityGroup "{\"id\":\"$WEB\",\"force\":true}" >/dev/null
check "with force it is deleted" test "$(last_code)" = 200
api PortService/GetPort "{\"id\":\"$W\"}" >/dev/null
check "force detached it from the port (its other group stays)" test "$(last_body '.spec.securityGroupIds|join(",")')" = "$SL"
pg_gone() { ! pg_exists "$WEBPG" && [ "$(nb_acl_count "$WEB")" = 0 ]; }
check "its Port_Group and ACLs leave Northbound" eventually 10 pg_gone
api SecurityGroupService/GetSecurityGroup "{\"id\":\"$WEB\"}" >/dev/null
check "it is not_found afterwards" replied 404 not_found id
