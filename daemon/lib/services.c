/* The protocol's services, for parkd's dispatch and libparkc alike. */
#include "lib/lib.h"
#include "parkd.pb-c.h"

const ProtobufCServiceDescriptor *const parkd_services[] = {
	&parkd__v1__park_service__descriptor,
	&parkd__v1__firm_service__descriptor,
	&parkd__v1__principal_service__descriptor,
	&parkd__v1__tenancy_service__descriptor,
	&parkd__v1__rules_service__descriptor,
	&parkd__v1__sync_service__descriptor,
	&parkd__v1__evaluation_service__descriptor,
	&parkd__v1__declaration_service__descriptor,
	&parkd__v1__expert_service__descriptor,
};
const size_t parkd_nservices = sizeof(parkd_services) /
    sizeof(parkd_services[0]);
