/*
 * The record kinds of a push, one description shared by parkd and parkctl:
 * each kind is a repeated field of SyncChunkRequest (its name is the
 * kind's name), and its columns are fields of that field's message, in
 * the order of the CSV file, with the CSV header of each. Types come from
 * the protobuf descriptors; a column in hundredths is yuan (money) or m²
 * (area) with two decimals in a CSV file and fen or m² × 100 on the wire.
 */
#include <string.h>

#include "lib/lib.h"
#include "parkd.pb-c.h"

const struct record_kind record_kinds[] = {
	{ "firms", 6, {
	    { "credit_code", "credit_code", KU_PLAIN, 0 },
	    { "name", "name", KU_PLAIN, 0 },
	    { "industry_code", "industry_code", KU_PLAIN, 0 },
	    { "registered_on", "registered_on", KU_PLAIN, 0 },
	    { "tech_based", "tech_based", KU_PLAIN, 0 },
	    { "srdi", "srdi", KU_PLAIN, 0 } } },
	{ "tenancies", 4, {
	    { "credit_code", "credit_code", KU_PLAIN, 0 },
	    { "entry_date", "entry_date", KU_PLAIN, 0 },
	    { "area_m2", "area", KU_HUNDREDTHS, 0 },
	    { "waiver_source", "waiver_source", KU_PLAIN, 1 } } },
	{ "certifications", 5, {
	    { "credit_code", "credit_code", KU_PLAIN, 0 },
	    { "kind", "kind", KU_PLAIN, 0 },
	    { "number", "number", KU_PLAIN, 0 },
	    { "valid_from", "valid_from", KU_PLAIN, 0 },
	    { "valid_to", "valid_to", KU_PLAIN, 0 } } },
	{ "firm_reports", 8, {
	    { "credit_code", "credit_code", KU_PLAIN, 0 },
	    { "year", "year", KU_PLAIN, 0 },
	    { "quarter", "quarter", KU_PLAIN, 0 },
	    { "revenue_yuan", "revenue", KU_HUNDREDTHS, 0 },
	    { "jobs", "jobs", KU_PLAIN, 0 },
	    { "graduate_jobs", "graduate_jobs", KU_PLAIN, 1 },
	    { "rnd_spend_yuan", "rnd_spend", KU_HUNDREDTHS, 1 },
	    { "ip_granted", "ip_granted", KU_PLAIN, 1 } } },
	{ "park_reports", 5, {
	    { "year", "year", KU_PLAIN, 0 },
	    { "quarter", "quarter", KU_PLAIN, 0 },
	    { "staff", "staff", KU_PLAIN, 0 },
	    { "services_delivered", "services_delivered", KU_PLAIN, 0 },
	    { "interns_hosted", "interns_hosted", KU_PLAIN, 0 } } },
	{ "activities", 4, {
	    { "kind", "kind", KU_PLAIN, 0 },
	    { "date", "date", KU_PLAIN, 0 },
	    { "title", "title", KU_PLAIN, 0 },
	    { "participants", "participants", KU_PLAIN, 0 } } },
};
const size_t nrecord_kinds = sizeof(record_kinds) / sizeof(record_kinds[0]);

const struct record_kind *
record_kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nrecord_kinds; i++) {
		if (strcmp(record_kinds[i].name, name) == 0)
			return (&record_kinds[i]);
	}
	return (NULL);
}

/* The kind's repeated field of SyncChunkRequest. */
const ProtobufCFieldDescriptor *
record_kind_field(const struct record_kind *k)
{
	return (protobuf_c_message_descriptor_get_field_by_name(
	    &parkd__v1__sync_chunk_request__descriptor, k->name));
}

/* The field of the kind's message that column col fills. */
const ProtobufCFieldDescriptor *
record_kind_col(const struct record_kind *k, int col)
{
	const ProtobufCMessageDescriptor *md = record_kind_field(k)->descriptor;

	return (protobuf_c_message_descriptor_get_field_by_name(md,
	    k->cols[col].field));
}

/* How many records of kind k the chunk holds. */
size_t
record_kind_count(const struct record_kind *k, const ProtobufCMessage *chunk)
{
	const ProtobufCFieldDescriptor	*fd = record_kind_field(k);

	return (*(const size_t *)((const char *)chunk + fd->quantifier_offset));
}

/* The records of kind k in the chunk (record_kind_count of them). */
ProtobufCMessage **
record_kind_records(const struct record_kind *k, const ProtobufCMessage *chunk)
{
	const ProtobufCFieldDescriptor	*fd = record_kind_field(k);

	return (*(ProtobufCMessage ***)((const char *)chunk + fd->offset));
}

/* Make recs (n of them) the chunk's records of kind k. */
void
record_kind_set(const struct record_kind *k, ProtobufCMessage *chunk,
    ProtobufCMessage **recs, size_t n)
{
	const ProtobufCFieldDescriptor	*fd = record_kind_field(k);

	*(size_t *)((char *)chunk + fd->quantifier_offset) = n;
	*(ProtobufCMessage ***)((char *)chunk + fd->offset) = recs;
}
