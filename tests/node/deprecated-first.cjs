// graphql-inspector diff rule: removing what the previous schema had already marked @deprecated(reason:) is not a
// breaking change (it is reported as dangerous); every other removal stays breaking.
//
//   npx graphql-inspector diff previous.graphql schema.graphql --rule ./deprecated-first.cjs
//
// The built-in suppressRemovalOfDeprecatedField rule does this too, but it also lets any removed *type* through
// (deprecated or not: types cannot be deprecated), so a type implementing an interface could vanish unnoticed.
'use strict';

const { isEnumType, isInputObjectType, isInterfaceType, isObjectType } = require('graphql');

// Change types and the schema member whose deprecation makes their removal safe. Paths are `Type.field`,
// `Enum.VALUE`, `Input.field` and `Type.field.argument`.
const RETIRABLE = {
  FIELD_REMOVED: ([type, field], schema) => fieldOf(schema, type, field),
  INPUT_FIELD_REMOVED: ([type, field], schema) => {
    const input = schema.getType(type);
    return isInputObjectType(input) ? input.getFields()[field] : undefined;
  },
  ENUM_VALUE_REMOVED: ([type, value], schema) => {
    const enumType = schema.getType(type);
    return isEnumType(enumType) ? enumType.getValue(value) : undefined;
  },
  FIELD_ARGUMENT_REMOVED: ([type, field, argument], schema) =>
    fieldOf(schema, type, field)?.args.find((arg) => arg.name === argument),
};

function fieldOf(schema, typeName, fieldName) {
  const type = schema.getType(typeName);
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[fieldName] : undefined;
}

function deprecatedFirst({ changes, oldSchema }) {
  return changes.map((change) => {
    const find = RETIRABLE[change.type];
    if (!find || change.criticality.level !== 'BREAKING' || !change.path) return change;
    const member = find(change.path.split('.'), oldSchema);
    if (member == null || member.deprecationReason == null) return change;
    return {
      ...change,
      criticality: { ...change.criticality, level: 'DANGEROUS', reason: 'It was deprecated first.' },
    };
  });
}

module.exports = deprecatedFirst; // graphql-inspector takes the `default` of the module it requires: this function
