/* parkctl's generic commands: flags to messages, messages to tables/JSON. */
#ifndef PCMD_H
#define PCMD_H

#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "libparkc.h"

const char	*pcmd_method_for(const char *);
void		 pcmd_cli_name(const char *, char *, size_t);
ProtobufCMessage *pcmd_build(const ProtobufCMessageDescriptor *, int,
		     char **, char *, size_t);
void		 pcmd_print(const ProtobufCMessage *, int, FILE *);
int		 pcmd_print_result(const struct parkc_result *, int);
void		 pcmd_list_methods(FILE *);
void		 pcmd_completion_bash(FILE *, const char *const *);
void		 pcmd_csv_cell(FILE *, const char *, int);
size_t		 pcmd_text_width(const char *);
void		 pcmd_table(FILE *, const char *const *, int,
		     const char *const *, int);

int	 pcmd_parse_bool(const char *, protobuf_c_boolean *);

/* Units for people: fen shown in yuan, m2 x 100 in m2 (pcmd.c). */
enum pcmd_unit { PCMD_U_NONE, PCMD_U_FEN, PCMD_U_AREA };
enum pcmd_unit	 pcmd_field_unit(const ProtobufCFieldDescriptor *);
const char	*pcmd_field_label(const ProtobufCFieldDescriptor *, char *,
		     size_t);
extern int	 pcmd_raw;	/* the wire's units (fen, m2 x 100) */

#endif
