import type { ProjectCategory } from './gql/graphql'

// A record over the generated union: a category added to the schema fails the type check until it is listed here.
const CATEGORIES: Record<ProjectCategory, true> = {
  ELDERLY_CARE: true, ENVIRONMENT: true, SAFETY_PATROL: true, GARBAGE_SORTING: true, EDUCATION: true,
  HEALTH: true, MEDIATION: true, REPAIR: true, CULTURE: true, OTHER: true,
}

/** ProjectCategory's values in the schema's order (orders and opinions pick one; labels in `enums.ProjectCategory`). */
export const PROJECT_CATEGORIES = Object.keys(CATEGORIES) as ProjectCategory[]
