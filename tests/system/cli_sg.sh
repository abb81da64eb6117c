#!/usr/bin/env bash
# lqnet security-group (sg) end to end against lqnetd: the project's
# default group, groups created with RULESPECs, rules added and removed by
# id, the show tables, ports joining groups by name (reaching OVN), and
# delete of a group in use: 1 failed_precondition, --force detaches.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

require_cli


# A project of its own, so that its default group appears on the first list.
T=$(lq token create --project sgtest --role member 2>/dev/null)
check "a member token for project sgtest" grep -qxE 'lqt_[0-9a-f]+' <<<"$T" || exit 1
export LQNET_TOKEN=$T

# --- the default group ------------------------------------------------------------
check "sg list shows the project's default group, stateful, with 2 rules" \
    prints "^\| $UUID \| default \| yes +\| 2 +\| Ingress from members of this group, all egress \|$" \
    sg list || exit 1
DEFAULT=$(lq security-group show default -o json | jq -r .id)
check "security-group show default -o json gives its id" grep -qxE "$UUID" <<<"$DEFAULT" || exit 1
check "sg show default: ingress from its own members (by name), all egress" \
    prints "^\| $UUID \| ingress +\| any +\| any +\| any +\| group default \| allow +\| 0 +\|$" \
    sg show default
check "... and the egress rule" \
    grep -qE "^\| $UUID \| egress +\| any +\| any +\| any +\| any +\| allow +\| 0 +\|$" "$LQT_TMP/out"
check "'default' cannot be created (1, invalid_argument)" \
    fails_with 1 "error: invalid_argument: name" sg create default

# --- create with RULESPECs ---------------------------------------------------------
check "sg create with three --rule shows 3 rules" prints '^\| rules +\| 3 +\|$' \
    sg create web --description 'web servers' --label tier=web \
    --rule ingress,tcp,80 --rule ingress,tcp,443,10.0.0.0/8 --rule egress || exit 1
check "... the CIDR rule in the rules table" \
    grep -qE "^\| $UUID \| ingress +\| IPv4 +\| tcp +\| 443 +\| 10\.0\.0\.0/8 +\| allow +\| 0 +\|$" \
    "$LQT_TMP/out"
check "... and the egress rule" \
    grep -qE "^\| $UUID \| egress +\| any +\| any +\| any +\| any +\| allow +\| 0 +\|$" "$LQT_TMP/out"
WEB=$(lq sg show web -o json | jq -r .id)
check "sg show web -o json gives the id" grep -qxE "$UUID" <<<"$WEB" || exit 1
check "sg show -o json has the rules as given" is sg show web -- \
    '.description == "web servers" and .labels.tier == "web" and .stateful == true
     and ([.rules[] | [.direction // "INGRESS", .protocol // "", .portMin // 0,
                       .remoteIpPrefix // ""]]
          == [["INGRESS","tcp",80,""], ["INGRESS","tcp",443,"10.0.0.0/8"], ["EGRESS","",0,""]])'
check "sg create --stateless with a remote group by name, drop, priority" \
    prints "^\| $UUID \| ingress +\| any +\| tcp +\| 8000-8080 \| group web +\| drop +\| 10 +\|$" \
    sg create app --stateless --rule ingress,tcp,8000-8080,group=web,drop,priority=10 || exit 1
check "... stateless" grep -qE '^\| stateful +\| no +\|$' "$LQT_TMP/out"
APP=$(lq sg show app -o json | jq -r .id)
check "the remote group went to the API as web's id" is sg show app -- \
    '.rules[0].remoteSecurityGroupId == "'"$WEB"'" and .rules[0].action == "DROP"'
check "sg list shows all three" \
    is sg list -- '[.securityGroups[].name] | sort == ["app","default","web"]'
check "sg list (table): web, stateful, 3 rules, its description" \
    prints "^\| $WEB \| web +\| yes +\| 3 +\| web servers +\|$" sg list
check "a bad RULESPEC is a usage error (2)" \
    fails_with 2 "--rule 'ingress,tcp,ssh' expects a port" sg create x --rule ingress,tcp,ssh
check "an unknown remote group is not_found (1)" \
    fails_with 1 "error: not_found: no security group is named 'nope'" \
    sg create x --rule ingress,any,group=nope
check "... and nothing was created" is sg list -- '.securityGroups | length == 3'

# --- rule add / remove ------------------------------------------------------------
R=$(lq sg rule add web --protocol icmp --icmp-type 8 --remote-ip 192.0.2.0/24 2>"$LQT_TMP/note")
check "rule add prints the new rule's id alone on stdout" grep -qxE "$UUID" <<<"$R" || exit 1
check "... and a note on stderr" \
    grep -qxF "Added rule $R to security group web ($WEB)" "$LQT_TMP/note"
check "sg show has the rule in its table" \
    prints "^\| $R \| ingress +\| IPv4 +\| icmp +\| type 8 +\| 192\.0\.2\.0/24 \| allow +\| 0 +\|$" \
    sg show web
check "... and 4 rules" grep -qE '^\| rules +\| 4 +\|$' "$LQT_TMP/out"
check "sg show -o json has the rule with that id" is sg show "$WEB" -- \
    '[.rules[] | select(.id == "'"$R"'") | [.protocol, .icmpType, .remoteIpPrefix]]
     == [["icmp", 8, "192.0.2.0/24"]]'
R2=$(lq sg rule add web --egress --protocol udp --port 53 --ethertype ipv6 --action reject \
    --priority 5 --remote-group app --description dns 2>/dev/null)
check "rule add with every option" is sg show web -- \
    '[.rules[] | select(.id == "'"$R2"'") | [.direction, .protocol, .portMin, .portMax,
       .ethertype, .action, .priority, .remoteSecurityGroupId, .description]]
     == [["EGRESS", "udp", 53, 53, "IPv6", "REJECT", 5, "'"$APP"'", "dns"]]'
check "rule add -o json prints the group" is sg rule add app --protocol tcp --port 22 -- \
    '.id == "'"$APP"'" and (.rules | length == 2)'
check "the same rule again is already_exists (1)" \
    fails_with 1 "error: already_exists" sg rule add web --protocol icmp --icmp-type 8 \
    --remote-ip 192.0.2.0/24
check "a CIDR with host bits is invalid_argument (1)" \
    fails_with 1 "error: invalid_argument: rule.remoteIpPrefix" sg rule add web --remote-ip 10.0.0.1/8
check "--port 0 is a usage error (2)" fails_with 2 "--port expects a port 1-65535" \
    sg rule add web --protocol tcp --port 0
check "'sg rule' alone is a usage error (2) naming its subcommands" \
    fails_with 2 "'rule' needs a subcommand: add, remove" sg rule
check "rule remove by id" prints "^Removed rule $R from security group web \($WEB\)$" \
    sg rule remove web "$R"
check "... the rule is gone" is sg show web -- \
    '([.rules[].id] | index("'"$R"'") == null) and (.rules | length == 4)'
check "removing it again is not_found (1)" fails_with 1 "error: not_found: ruleId" \
    sg rule remove web "$R"

# --- update -----------------------------------------------------------------------------
check "sg update --description --label" prints '^\| description +\| public web +\|$' \
    sg update web --description 'public web' --label tier=front
check "... labels replaced" is sg show web -- '.labels == {"tier": "front"}'
check "an update with no option is a usage error (2)" fails_with 2 "nothing to update" sg update web

# --- ports -------------------------------------------------------------------------------
lq network create sgnet --subnet 10.77.0.0/24 >/dev/null
check "port create gets the default group" is port create p1 --network sgnet -- \
    '.spec.securityGroupIds == ["'"$DEFAULT"'"]' || exit 1
check "port update --security-group NAME --security-group NAME" \
    prints "^\| security groups +\| $WEB +\|$" port update p1 --security-group web --security-group app
check "... both, in order" is port show p1 -- '.spec.securityGroupIds == ["'"$WEB"'","'"$APP"'"]'
# The rules reach OVN: web's tcp/80 ingress rule becomes an ACL.
nb_acl() {
    ovn-nbctl --db="$OVN_NB_DB" --bare --columns=match list ACL | grep -q 'tcp.dst == 80\b'
}
check "web's rules reach Northbound as ACLs" eventually 10 nb_acl
check "an unknown group name is not_found (1)" \
    fails_with 1 "error: not_found: no security group is named 'nope'" port update p1 --security-group nope

# --- delete ----------------------------------------------------------------------------------
check "a group another group's rule names cannot go, even with --force (1)" \
    fails_with 1 "error: failed_precondition" sg delete app --force
check "... the message says which group's rule" grep -qF "a rule of security group '$WEB' refers to it" \
    "$LQT_TMP/err"
check "rule remove of web's rule that names app" \
    prints "^Removed rule $R2 from security group web \($WEB\)$" sg rule remove web "$R2"
check "deleting a group a port uses fails (1, failed_precondition)" \
    fails_with 1 "error: failed_precondition" sg delete app
check "... the message counts the ports" grep -qF "in use by 1 ports" "$LQT_TMP/err"
check "... and the group stays" is sg show app -- '.id == "'"$APP"'"'
check "sg delete --force" prints "^Deleted security group app \($APP\)$" sg delete app --force
check "... the port left it" is port show p1 -- '.spec.securityGroupIds == ["'"$WEB"'"]'
check "... its name no longer resolves" fails_with 1 "error: not_found" sg show app
check "web, still used by the port, is refused (1)" \
    fails_with 1 "error: failed_precondition" security-group delete web
check "port update --no-security-groups" is port update p1 --no-security-groups -- \
    '(.spec.securityGroupIds // []) == []'
check "an unused group deletes without --force" \
    prints "^Deleted security group web \($WEB\)$" security-group delete web
check "only default is left" is sg list -- '[.securityGroups[].name] == ["default"]'
